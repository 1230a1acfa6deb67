#include "config/settings.h"

#include <limits>
#include <string_view>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/setting_values.h"

namespace walnut {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr int64_t kMaxConcurrency = 4096;
constexpr uint64_t kMaxBytes = std::numeric_limits<int64_t>::max();

int GetSmallInt(const Config& config, std::string_view name, int64_t min, int64_t max) {
  return static_cast<int>(config.GetInt(name, min, max));
}

std::string Trim(std::string_view s, char c) {
  size_t first = s.find_first_not_of(c);
  if (first == std::string_view::npos) return "";
  size_t last = s.find_last_not_of(c);
  return std::string(s.substr(first, last - first + 1));
}

milliseconds GetMilliseconds(const Config& config, std::string_view name) {
  return duration_cast<milliseconds>(config.GetDuration(name));
}

std::optional<uint64_t> GetRateLimit(const Config& config, std::string_view name) {
  if (!config.Has(name)) return std::nullopt;
  return config.GetBytes(name, 1, kMaxBytes);
}

// PGPORT: a port, or a comma-separated list of them for several hosts (libpq's multi-host
// syntax; an empty item means the default port). libpq would only say "invalid port number"
// when it connects, long after the setting was given.
void CheckPgPort(const Config& config) {
  if (!config.Has("PGPORT")) return;
  std::string ports = config.GetString("PGPORT");
  size_t start = 0;
  while (true) {
    size_t comma = ports.find(',', start);
    std::string item =
        ports.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) {
      std::optional<int64_t> port = ParseSettingInt(item);
      if (!port || *port < 1 || *port > 65535) {
        config.ThrowInvalid("PGPORT",
                            fmt::format("invalid value '{}'; expected a port number from 1 to "
                                        "65535 (or a comma-separated list of them)",
                                        ports));
      }
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

std::string GetJson(const Config& config, std::string_view name) {
  if (!config.Has(name)) return "";
  std::string text = config.GetString(name);
  if (!nlohmann::json::accept(text)) {
    config.ThrowInvalid(name,
                        "invalid value; expected JSON, e.g. {\"owner\": \"team-a\"} or "
                        "\"a string in quotes\"");
  }
  return text;
}

}  // namespace

Settings LoadSettings(const Config& config) {
  Settings s;
  if (config.Has("WALG_STORAGE_PREFIX")) {
    s.storage_sub_prefix = Trim(config.GetString("WALG_STORAGE_PREFIX"), '/');
  }

  s.upload_concurrency = GetSmallInt(config, "WALG_UPLOAD_CONCURRENCY", 1, kMaxConcurrency);
  s.download_concurrency = GetSmallInt(config, "WALG_DOWNLOAD_CONCURRENCY", 1, kMaxConcurrency);
  s.upload_disk_concurrency =
      GetSmallInt(config, "WALG_UPLOAD_DISK_CONCURRENCY", 1, kMaxConcurrency);
  s.upload_queue = GetSmallInt(config, "WALG_UPLOAD_QUEUE", 1, kMaxConcurrency);
  s.download_file_retries = GetSmallInt(config, "WALG_DOWNLOAD_FILE_RETRIES", 0, 1000);
  s.storage_retry_timeout = GetMilliseconds(config, "WALNUT_STORAGE_RETRY_TIMEOUT");
  if (s.storage_retry_timeout.count() <= 0) {
    config.ThrowInvalid("WALNUT_STORAGE_RETRY_TIMEOUT",
                        "must be a positive duration such as 30s (how long one storage request "
                        "may keep being retried)");
  }
  s.disk_rate_limit = GetRateLimit(config, "WALG_DISK_RATE_LIMIT");
  s.network_rate_limit = GetRateLimit(config, "WALG_NETWORK_RATE_LIMIT");

  if (config.Has("WALG_PREFETCH_DIR")) s.prefetch_dir = config.GetString("WALG_PREFETCH_DIR");
  s.total_bg_uploaded_limit = GetSmallInt(config, "TOTAL_BG_UPLOADED_LIMIT", 0, 1'000'000);
  s.prevent_wal_overwrite = config.GetBool("WALG_PREVENT_WAL_OVERWRITE");
  s.pg_ready_rename = config.GetBool("PG_READY_RENAME");
  s.wal_push_timeout = GetMilliseconds(config, "WALNUT_WAL_PUSH_TIMEOUT");
  if (s.wal_push_timeout.count() <= 0) {
    config.ThrowInvalid("WALNUT_WAL_PUSH_TIMEOUT",
                        "must be a positive duration such as 120s (wal-push needs a deadline)");
  }
  s.daemon_wal_upload_timeout = GetMilliseconds(config, "WALG_DAEMON_WAL_UPLOAD_TIMEOUT");
  if (s.daemon_wal_upload_timeout.count() <= 0) {
    config.ThrowInvalid("WALG_DAEMON_WAL_UPLOAD_TIMEOUT",
                        "must be a positive duration such as 60s (a daemon's wal-push needs a "
                        "deadline)");
  }
  int64_t wal_size_mib = config.GetInt("WALG_PG_WAL_SIZE", 1, 1024);
  if ((wal_size_mib & (wal_size_mib - 1)) != 0) {
    config.ThrowInvalid("WALG_PG_WAL_SIZE",
                        fmt::format("invalid value '{}'; expected a power of 2 from 1 to 1024 "
                                    "(MiB, PostgreSQL's --wal-segsize)",
                                    wal_size_mib));
  }
  s.wal_segment_size = static_cast<uint64_t>(wal_size_mib) << 20;
  s.integrity_max_delayed_wals = static_cast<uint64_t>(
      config.GetInt("WALG_INTEGRITY_MAX_DELAYED_WALS", 0, std::numeric_limits<int32_t>::max()));

  if (config.Has("PGDATA")) s.pgdata = config.GetString("PGDATA");
  CheckPgPort(config);
  s.delta_max_steps = GetSmallInt(config, "WALG_DELTA_MAX_STEPS", 0, 1'000'000);
  s.delta_from_full = config.GetEnum("WALG_DELTA_ORIGIN") == "LATEST_FULL";
  if (config.Has("WALG_DELTA_FROM_NAME")) {
    s.delta_from_name = config.GetString("WALG_DELTA_FROM_NAME");
  }
  s.delta_from_user_data = GetJson(config, "WALG_DELTA_FROM_USER_DATA");
  s.tar_size_threshold = config.GetBytes("WALG_TAR_SIZE_THRESHOLD", 1, kMaxBytes);
  s.tar_disable_fsync = config.GetBool("WALG_TAR_DISABLE_FSYNC");
  s.verify_page_checksums = config.GetBool("WALG_VERIFY_PAGE_CHECKSUMS");
  s.store_all_corrupt_blocks = config.GetBool("WALG_STORE_ALL_CORRUPT_BLOCKS");
  s.without_files_metadata = config.GetBool("WALG_WITHOUT_FILES_METADATA");
  s.sentinel_user_data = GetJson(config, "WALG_SENTINEL_USER_DATA");
  s.statsd_address = config.Get("WALG_STATSD_ADDRESS").value_or("");
  if (!s.statsd_address.empty() && (s.statsd_address.rfind(':') == std::string::npos ||
                                    s.statsd_address.rfind(':') + 1 == s.statsd_address.size())) {
    config.ThrowInvalid("WALG_STATSD_ADDRESS", "invalid value; expected host:port, e.g. "
                                               "127.0.0.1:8125");
  }
  s.statsd_extra_tags = GetJson(config, "WALG_STATSD_EXTRA_TAGS");
  if (!s.statsd_extra_tags.empty() && !nlohmann::json::parse(s.statsd_extra_tags).is_object()) {
    config.ThrowInvalid("WALG_STATSD_EXTRA_TAGS",
                        "invalid value; expected a JSON object of tags, e.g. {\"env\": \"prod\"}");
  }
  s.archive_check = config.GetBool("WALNUT_ARCHIVE_CHECK");
  s.archive_wait_timeout = GetMilliseconds(config, "WALNUT_ARCHIVE_WAIT_TIMEOUT");
  s.delete_pending_age = GetMilliseconds(config, "WALNUT_DELETE_PENDING_AGE");
  if (config.Has("WALG_STOP_BACKUP_TIMEOUT")) {
    s.stop_backup_timeout = GetMilliseconds(config, "WALG_STOP_BACKUP_TIMEOUT");
  }
  s.use_reverse_unpack = config.GetBool("WALG_USE_REVERSE_UNPACK");
  s.skip_redundant_tars = config.GetBool("WALG_SKIP_REDUNDANT_TARS");
  s.fetch_target_user_data = GetJson(config, "WALG_FETCH_TARGET_USER_DATA");

  // main() sets the log level up from WALG_LOG_LEVEL before any command runs; a bad value still
  // fails here, naming the setting.
  config.GetEnum("WALG_LOG_LEVEL");
  return s;
}

}  // namespace walnut
