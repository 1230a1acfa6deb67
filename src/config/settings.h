#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"

namespace walnut {

// The settings of the core, validated. Built by LoadSettings. A storage backend's settings are
// read by the backend (storage/registry), compression's and encryption's by the pipeline
// (pipeline/pipeline_settings.h): each extension owns its settings.
struct Settings {
  // WALG_STORAGE_PREFIX without leading/trailing '/': a sub-folder of the storage root that WAL-G
  // puts every object under (basebackups_005/, wal_005/ are inside it). "" when unset.
  std::string storage_sub_prefix;

  int upload_concurrency = 16;      // WALG_UPLOAD_CONCURRENCY, >= 1
  int download_concurrency = 10;    // WALG_DOWNLOAD_CONCURRENCY, >= 1 (also WAL prefetch depth)
  int upload_disk_concurrency = 1;  // WALG_UPLOAD_DISK_CONCURRENCY, >= 1
  int upload_queue = 2;             // WALG_UPLOAD_QUEUE, >= 1
  int download_file_retries = 15;   // WALG_DOWNLOAD_FILE_RETRIES, >= 0
  // WALNUT_STORAGE_RETRY_TIMEOUT, > 0: how long one storage request may keep failing and being
  // retried (every backend's budget per request, not per command).
  std::chrono::milliseconds storage_retry_timeout{30'000};
  std::optional<uint64_t> disk_rate_limit;     // WALG_DISK_RATE_LIMIT, bytes/s
  std::optional<uint64_t> network_rate_limit;  // WALG_NETWORK_RATE_LIMIT, bytes/s

  // wal-push / wal-fetch.
  std::string prefetch_dir;          // WALG_PREFETCH_DIR; "" = the directory of the segment
  int total_bg_uploaded_limit = 32;  // TOTAL_BG_UPLOADED_LIMIT, >= 0
  // WALG_PREVENT_WAL_OVERWRITE: refuse to replace an archived WAL file with different content.
  // true by default in Walnut (WAL-G: false); false turns it off for segments, never for .history.
  bool prevent_wal_overwrite = true;
  // WALNUT_WAL_PUSH_TIMEOUT: the whole wal-push call (upload-ahead included) ends with exit 1
  // after this long, so that a dead storage never stalls PostgreSQL's archiver; > 0.
  std::chrono::milliseconds wal_push_timeout{120'000};
  // WALG_DAEMON_WAL_UPLOAD_TIMEOUT: `walnut daemon` answers a wal-push request as failed once it
  // has taken this long; > 0.
  std::chrono::milliseconds daemon_wal_upload_timeout{60'000};
  bool pg_ready_rename = false;             // PG_READY_RENAME
  uint64_t wal_segment_size = 16u << 20;    // WALG_PG_WAL_SIZE (MiB in the setting), a power of 2
  uint64_t integrity_max_delayed_wals = 0;  // WALG_INTEGRITY_MAX_DELAYED_WALS, >= 0

  // backup-push / backup-fetch.
  std::string pgdata;                            // PGDATA; "" when unset
  int delta_max_steps = 0;                       // WALG_DELTA_MAX_STEPS, >= 0 (0: always full)
  bool delta_from_full = false;                  // WALG_DELTA_ORIGIN == LATEST_FULL
  std::string delta_from_name;                   // WALG_DELTA_FROM_NAME; "" when unset
  std::string delta_from_user_data;              // WALG_DELTA_FROM_USER_DATA, valid JSON or ""
  uint64_t tar_size_threshold = (1u << 30) - 1;  // WALG_TAR_SIZE_THRESHOLD, bytes, >= 1
  bool tar_disable_fsync = false;                // WALG_TAR_DISABLE_FSYNC
  bool verify_page_checksums = false;            // WALG_VERIFY_PAGE_CHECKSUMS
  bool store_all_corrupt_blocks = false;         // WALG_STORE_ALL_CORRUPT_BLOCKS
  bool without_files_metadata = false;           // WALG_WITHOUT_FILES_METADATA
  std::string sentinel_user_data;                // WALG_SENTINEL_USER_DATA, valid JSON or ""
  // WALG_STATSD_ADDRESS ("host:port", UDP; "" sends nothing) and WALG_STATSD_EXTRA_TAGS (a JSON
  // object of tags, "" for none): the counters pushed at the end of a command, as WAL-G does.
  std::string statsd_address;
  std::string statsd_extra_tags;
  // WALNUT_ARCHIVE_CHECK: backup-push refuses a server that archives nothing and waits for the
  // backup's WAL to reach the storage; false for WAL that gets there another way.
  bool archive_check = true;
  // WALNUT_ARCHIVE_WAIT_TIMEOUT: backup-push waits this long for its last segment; 0: no wait.
  std::chrono::milliseconds archive_wait_timeout{60'000};
  // WALNUT_DELETE_PENDING_AGE: delete leaves a backup folder without a sentinel alone (it may be
  // being pushed) while its newest object is younger than this.
  std::chrono::milliseconds delete_pending_age{12 * 3'600'000};
  std::optional<std::chrono::milliseconds> stop_backup_timeout;  // WALG_STOP_BACKUP_TIMEOUT
  bool use_reverse_unpack = true;                                // WALG_USE_REVERSE_UNPACK
  bool skip_redundant_tars = false;                              // WALG_SKIP_REDUNDANT_TARS
  std::string fetch_target_user_data;  // WALG_FETCH_TARGET_USER_DATA, valid JSON or ""
};

// Reads and validates every setting Settings holds. Throws kInvalidArgument on the first bad
// value, naming the setting, its source and what is accepted (never a secret's value).
Settings LoadSettings(const Config& config);

}  // namespace walnut
