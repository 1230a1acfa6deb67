#include "config/setting_specs.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>

#include <fmt/format.h>

#include "common/error.h"

// The names, defaults and aliases follow WAL-G's internal/config/config.go (CommonAllowedSettings,
// PGAllowedSettings, CommonDefaultConfigValues, PGDefaultSettings). This file holds the settings
// of the core; storage backends, codecs and crypters declare their own next to their code
// (storage/*/..._settings.cc, pipeline/pipeline_settings.cc) and RegisterSettingSpecs adds them.

namespace walnut {
namespace {

using K = SettingKind;

// Views into strings built at run time (StorageKey spellings) must outlive main.
std::string_view Intern(std::string s) {
  static auto* pool = new std::map<std::string, int>();  // never destroyed: views outlive main
  return pool->emplace(std::move(s), 0).first->first;
}

constexpr std::string_view kFailoverEma =
    "tuning of WAL-G's moving average of operation results; walnut leaves a failover storage "
    "out for WALG_FAILOVER_STORAGES_CACHE_LIFETIME after one failed request (after its retries)";
constexpr std::string_view kGoRuntime =
    "a Go runtime setting of WAL-G; walnut is not written in Go";
constexpr std::string_view kProfiling =
    "WAL-G's HTTP and profiling endpoints; walnut has none (use perf or heaptrack)";

std::vector<SettingSpec> CoreSpecs() {
  return {
      // Storage selection beyond the backends' own prefixes (storage/registry).
      DefineSetting("WALG_STORAGE_PREFIX", K::kString,
                    "sub-folder under the storage root used for everything")
          .Implemented(),
      DefineSetting("WALG_TARGET_STORAGE", K::kString,
                    "default for --target-storage: 'default' (the primary) or a failover "
                    "storage's name; unset: all storages found alive")
          .Implemented(),
      DefineSetting("WALG_FAILOVER_STORAGES", K::kJson,
                    "failover storages: name -> that storage's settings (a nested section of "
                    "the config file)")
          .Implemented(),
      DefineSetting("WALG_FAILOVER_STORAGES_CHECK", K::kBool,
                    "check storages are alive before a command uses them")
          .Default("true")
          .Implemented(),
      DefineSetting("WALG_FAILOVER_STORAGES_CHECK_TIMEOUT", K::kDuration,
                    "time an alive check of one storage may take")
          .Default("30s")
          .Implemented(),
      DefineSetting("WALG_FAILOVER_STORAGES_CHECK_SIZE", K::kBytes,
                    "bytes written (and deleted) by the alive check of a writing command")
          .Default("1mb")
          .Implemented(),
      DefineSetting("WALG_FAILOVER_STORAGES_CACHE_LIFETIME", K::kDuration,
                    "how long a storage's alive or dead status is kept before it is checked "
                    "again")
          .Default("15m")
          .Implemented(),
      DefineSetting("WALNUT_FAILOVER_STATUS_CACHE", K::kString,
                    "the file storage statuses are kept in between commands "
                    "(~/.walnut_storage_status_cache.json)")
          .Implemented(),
      DefineSetting("WALG_FAILOVER_STORAGES_CACHE_EMA_ALIVE_LIMIT", K::kString,
                    "WAL-G's failover EMA tuning")
          .Default("0.99")
          .Warned(kFailoverEma),
      DefineSetting("WALG_FAILOVER_STORAGES_CACHE_EMA_DEAD_LIMIT", K::kString,
                    "WAL-G's failover EMA tuning")
          .Default("0.88")
          .Warned(kFailoverEma),
      DefineSetting("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_ALIVE_MAX", K::kString,
                    "WAL-G's failover EMA tuning")
          .Default("0.05")
          .Warned(kFailoverEma),
      DefineSetting("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_ALIVE_MIN", K::kString,
                    "WAL-G's failover EMA tuning")
          .Default("0.01")
          .Warned(kFailoverEma),
      DefineSetting("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_DEAD_MAX", K::kString,
                    "WAL-G's failover EMA tuning")
          .Default("0.5")
          .Warned(kFailoverEma),
      DefineSetting("WALG_FAILOVER_STORAGES_CACHE_EMA_ALPHA_DEAD_MIN", K::kString,
                    "WAL-G's failover EMA tuning")
          .Default("0.1")
          .Warned(kFailoverEma),

      // Concurrency and throttling.
      DefineSetting("WALG_UPLOAD_CONCURRENCY", K::kInt, "parallel uploads")
          .StorageKey("UPLOAD_CONCURRENCY")
          .Default("16")
          .Implemented(),
      DefineSetting(
          "WALG_DOWNLOAD_CONCURRENCY", K::kInt,
          "parallel downloads; WAL segments prefetched by wal-fetch (1 disables prefetch)")
          .Default("10")
          .Implemented(),
      DefineSetting("WALG_UPLOAD_DISK_CONCURRENCY", K::kInt,
                    "tar files filled in parallel by backup-push")
          .Default("1")
          .Implemented(),
      DefineSetting("WALG_UPLOAD_QUEUE", K::kInt,
                    "filled tar files of backup-push that may wait for their upload at once")
          .Default("2")
          .Implemented(),
      DefineSetting("WALG_DOWNLOAD_FILE_RETRIES", K::kInt,
                    "restarts of a file's download after a transient failure the storage did not "
                    "retry itself (S3 retries each request within WALNUT_STORAGE_RETRY_TIMEOUT)")
          .Default("15")
          .Implemented(),
      // Per request (a part upload, a ranged GET chunk, a list page), not per command: a dead
      // endpoint fails a command within it, and a long backup rides out a shorter outage.
      DefineSetting("WALNUT_STORAGE_RETRY_TIMEOUT", K::kDuration,
                    "how long one storage request may keep failing and being retried before the "
                    "command gives up")
          .Default("30s")
          .Implemented(),
      DefineSetting("WALG_DISK_RATE_LIMIT", K::kBytes,
                    "disk read limit for backup-push, bytes per second")
          .Implemented(),
      DefineSetting("WALG_NETWORK_RATE_LIMIT", K::kBytes,
                    "bytes per second read from and written to storage, all commands (--turbo: no "
                    "limit)")
          .Implemented(),
      DefineSetting("GOMAXPROCS", K::kInt, "CPU limit of WAL-G's Go runtime").Warned(kGoRuntime),
      DefineSetting("GODEBUG", K::kString, "Go runtime debugging").Warned(kGoRuntime),

      // wal-push / wal-fetch.
      DefineSetting("WALG_PREFETCH_DIR", K::kString,
                    "directory for prefetched WAL (default: the directory of the segment)")
          .Implemented(),
      DefineSetting("TOTAL_BG_UPLOADED_LIMIT", K::kInt,
                    "extra .ready segments one wal-push may upload")
          .Default("32")
          .Implemented(),
      // Walnut refuses by default (WAL-G: false); false still protects .history files.
      DefineSetting("WALG_PREVENT_WAL_OVERWRITE", K::kBool,
                    "refuse to overwrite a different stored segment")
          .Default("true")
          .Implemented(),
      DefineSetting("WALNUT_WAL_PUSH_TIMEOUT", K::kDuration,
                    "wal-push gives up (exit 1) after this long, so archive_command never hangs")
          .Default("120s")
          .Implemented(),
      DefineSetting("WALG_UPLOAD_WAL_METADATA", K::kEnum,
                    "WAL metadata: NOMETADATA, INDIVIDUAL or BULK")
          .Accepts({"NOMETADATA", "INDIVIDUAL", "BULK"})
          .Default("NOMETADATA")
          .Warned("walnut uploads no WAL metadata files yet (nothing reads them back)"),
      DefineSetting("PG_READY_RENAME", K::kBool,
                    "wal-push renames .ready to .done for segments it uploads")
          .Default("false")
          .Implemented(),
      DefineSetting("WALG_USE_WAL_DELTA", K::kBool, "wal-push records page maps for delta backups")
          .Default("false")
          .Warned("walnut makes no WAL delta maps yet: delta backups scan the data files instead"),
      DefineSetting("WALG_FORCE_WAL_DELTA", K::kBool, "fail when WAL delta maps are missing")
          .Default("false")
          .Warned("walnut makes no WAL delta maps yet: delta backups scan the data files instead"),
      DefineSetting("WALG_INTEGRITY_MAX_DELAYED_WALS", K::kInt,
                    "wal-verify: segments allowed to be late")
          .Default("0")
          .Implemented(),
      DefineSetting("WALG_SLOTNAME", K::kString, "replication slot of wal-receive")
          .Default("walg")
          .Warned("walnut has no wal-receive command yet"),
      DefineSetting("WALG_DAEMON_WAL_UPLOAD_TIMEOUT", K::kDuration,
                    "walnut daemon: deadline of one wal-push request (answered as failed after it)")
          .Default("60s")
          .Implemented(),
      DefineSetting("WALG_PG_WAL_SIZE", K::kInt, "WAL segment size, MiB")
          .Default("16")
          .Implemented(),
      DefineSetting("WALG_PG_WAL_PAGE_SIZE", K::kInt, "WAL page size, bytes")
          .Default("8192")
          .Refused("walnut reads WAL with 8192-byte pages only (PostgreSQL's default); unset it"),
      DefineSetting("WALG_PG_BLOCK_SIZE", K::kInt, "data page size, bytes")
          .Default("8192")
          .Refused("walnut backs up clusters with 8192-byte pages only (PostgreSQL's default); "
                   "unset it"),

      // backup-push / backup-fetch.
      DefineSetting("WALG_DELTA_MAX_STEPS", K::kInt,
                    "delta backups between full backups (0: always full)")
          .Default("0")
          .Implemented(),
      DefineSetting("WALG_DELTA_ORIGIN", K::kEnum, "base of a delta: LATEST or LATEST_FULL")
          .Accepts({"LATEST", "LATEST_FULL"})
          .Default("LATEST")
          .Implemented(),
      DefineSetting("WALG_DELTA_FROM_NAME", K::kString, "take the delta from this backup")
          .Implemented(),
      DefineSetting("WALG_DELTA_FROM_USER_DATA", K::kJson,
                    "take the delta from the backup with this data")
          .Implemented(),
      DefineSetting("WALG_TAR_SIZE_THRESHOLD", K::kBytes, "uncompressed size of one tar part")
          .Default("1073741823")
          .Implemented(),
      DefineSetting("WALG_TAR_DISABLE_FSYNC", K::kBool, "do not fsync extracted files")
          .Default("false")
          .Implemented(),
      DefineSetting("WALG_VERIFY_PAGE_CHECKSUMS", K::kBool,
                    "verify page checksums during backup-push")
          .Default("false")
          .Implemented(),
      DefineSetting("WALG_STORE_ALL_CORRUPT_BLOCKS", K::kBool,
                    "record every corrupt block, not just 10")
          .Default("false")
          .Implemented(),
      DefineSetting("WALG_USE_RATING_COMPOSER", K::kBool, "pack tars by change rating")
          .Default("false")
          .Warned("walnut packs tars in one way only; the backup is complete and restorable"),
      DefineSetting("WALG_USE_COPY_COMPOSER", K::kBool,
                    "copy unchanged tars of the previous backup")
          .Default("false")
          .Warned("walnut packs tars in one way only; the backup is complete and restorable"),
      DefineSetting("WALG_USE_DATABASE_COMPOSER", K::kBool, "pack tars by database")
          .Default("false")
          .Warned("walnut packs tars in one way only; the backup is complete and restorable"),
      DefineSetting("WALG_WITHOUT_FILES_METADATA", K::kBool,
                    "skip files_metadata.json (forces full)")
          .Default("false")
          .Implemented(),
      DefineSetting("WALG_SENTINEL_USER_DATA", K::kJson, "JSON stored as user_data in the backup")
          .Implemented(),
      DefineSetting("WALG_ALIVE_CHECK_INTERVAL", K::kDuration,
                    "PostgreSQL liveness check during backup")
          .Default("1m")
          .Warned("walnut checks the server at the end of a backup (pg_backup_stop), not "
                  "periodically"),
      DefineSetting("WALG_STOP_BACKUP_TIMEOUT", K::kDuration, "statement timeout of pg_backup_stop")
          .Implemented(),
      // pgBackRest's archive-check.
      DefineSetting("WALNUT_ARCHIVE_CHECK", K::kBool,
                    "backup-push refuses a server that archives nothing and waits for its WAL to "
                    "be archived (false: for WAL that reaches the storage another way)")
          .Default("true")
          .Implemented(),
      DefineSetting("WALNUT_ARCHIVE_WAIT_TIMEOUT", K::kDuration,
                    "backup-push waits this long for its last WAL segment to be archived (0: no "
                    "wait)")
          .Default("60s")
          .Implemented(),
      // delete never touches a backup folder without a sentinel whose newest object is younger.
      DefineSetting("WALNUT_DELETE_PENDING_AGE", K::kDuration,
                    "delete treats a backup without a sentinel as being pushed while its newest "
                    "object is younger than this")
          .Default("12h")
          .Implemented(),
      DefineSetting("WALG_DIRECT_IO", K::kBool, "read data files with O_DIRECT")
          .Default("false")
          .Warned("walnut reads data files through the page cache"),
      DefineSetting("WALG_DIRECT_IO_BLOCK_COUNT", K::kInt, "blocks per O_DIRECT read")
          .Default("32")
          .Warned("walnut reads data files through the page cache"),
      DefineSetting("WALG_DISABLE_PARTIAL_RESTORE", K::kBool,
                    "do not record databases for partial restore")
          .Default("false")
          .Warned("walnut records no partial-restore map yet, so there is nothing to disable"),
      DefineSetting("WALG_USE_REVERSE_UNPACK", K::kBool,
                    "backup-fetch applies a delta chain newest first (false: oldest first, WAL-G's "
                    "default)")
          .Default("true")
          .Implemented(),
      DefineSetting("WALG_SKIP_REDUNDANT_TARS", K::kBool,
                    "backup-fetch skips the tars a chain restore does not need (always, in walnut)")
          .Default("false")
          .Implemented(),
      DefineSetting("WALG_FETCH_TARGET_USER_DATA", K::kJson,
                    "backup-fetch the backup with this user data")
          .Implemented(),
      DefineSetting("WALG_SERIALIZER_TYPE", K::kString, "metadata serializer")
          .Default("json_default")
          .Refused("walnut writes and reads metadata as JSON only (json_default); unset it"),
      DefineSetting("WALG_STREAM_CREATE_COMMAND", K::kString, "command producing a backup stream")
          .Warned("used by WAL-G's backups of other databases, not PostgreSQL's"),
      DefineSetting("WALG_STREAM_RESTORE_COMMAND", K::kString, "command consuming a backup stream")
          .Warned("used by WAL-G's backups of other databases, not PostgreSQL's"),
      DefineSetting("PGBACKREST_STANZA", K::kString,
                    "pgBackRest stanza read by the pgbackrest commands")
          .Default("main")
          .Warned("walnut has no pgbackrest commands"),

      // Logging and monitoring.
      DefineSetting("WALG_LOG_LEVEL", K::kEnum, "NORMAL, DEVEL (debug) or ERROR")
          .Accepts({"NORMAL", "DEVEL", "ERROR"})
          .Default("NORMAL")
          .Implemented(),
      DefineSetting("WALG_LOG_DESTINATION", K::kString,
                    "log file, appended to and reopened on SIGHUP; errors also go to standard "
                    "error (default: stderr)")
          .Implemented(),
      DefineSetting("WALG_STATSD_ADDRESS", K::kString,
                    "statsd host:port (UDP) that receives WAL-G's metrics at the end of a command")
          .Implemented(),
      DefineSetting("WALG_STATSD_EXTRA_TAGS", K::kJson,
                    "extra statsd tags, a JSON object: {\"env\": \"prod\"}")
          .Implemented(),
      DefineSetting("HTTP_LISTEN", K::kString, "address of the embedded HTTP server")
          .Warned(kProfiling),
      DefineSetting("HTTP_EXPOSE_PPROF", K::kBool, "expose profiling over HTTP").Warned(kProfiling),
      DefineSetting("HTTP_EXPOSE_EXPVAR", K::kBool, "expose variables over HTTP")
          .Warned(kProfiling),
      DefineSetting("PROFILE_SAMPLING_RATIO", K::kString, "profiling sampling ratio")
          .Warned(kProfiling),
      DefineSetting("PROFILE_MODE", K::kString, "profiling mode").Warned(kProfiling),
      DefineSetting("PROFILE_PATH", K::kString, "profiling output directory").Warned(kProfiling),

      // PostgreSQL connection (libpq reads these from the environment; Config exports them).
      DefineSetting("PGDATA", K::kString, "PostgreSQL data directory").ExportToEnv().Implemented(),
      DefineSetting("PGHOST", K::kString, "database host or socket directory")
          .ExportToEnv()
          .Implemented(),
      DefineSetting("PGPORT", K::kString,
                    "database port (a comma-separated list for several hosts)")
          .ExportToEnv()
          .Implemented(),
      DefineSetting("PGUSER", K::kString, "database user").ExportToEnv().Implemented(),
      DefineSetting("PGPASSWORD", K::kString, "database password")
          .Secret()
          .ExportToEnv()
          .Implemented(),
      DefineSetting("PGPASSFILE", K::kString, "password file").ExportToEnv().Implemented(),
      DefineSetting("PGDATABASE", K::kString, "database name").ExportToEnv().Implemented(),
      DefineSetting("PGSSLMODE", K::kString, "TLS mode").ExportToEnv().Implemented(),
      DefineSetting("PGSSLKEY", K::kString, "TLS client key").ExportToEnv().Implemented(),
      DefineSetting("PGSSLCERT", K::kString, "TLS client certificate").ExportToEnv().Implemented(),
      DefineSetting("PGSSLROOTCERT", K::kString, "TLS root certificate")
          .ExportToEnv()
          .Implemented(),
      DefineSetting("PGAPPNAME", K::kString, "application_name of the connection")
          .Default("wal-g")
          .ExportToEnv()
          .Implemented(),
  };
}

struct Registry {
  std::vector<SettingSpec> specs;
  std::map<std::string_view, size_t, std::less<>> by_name;            // names and aliases
  std::map<std::string, std::string_view, std::less<>> flag_to_name;  // flag -> name or alias
  std::vector<const SettingSpec*> registered_from;  // first spec of each registered list
  bool frozen = false;
};

Registry& MutableRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry();  // never destroyed: used until the process exits
    r->specs = CoreSpecs();
    return r;
  }();
  return *registry;
}

void Index(Registry& r) {
  r.by_name.clear();
  r.flag_to_name.clear();
  for (size_t i = 0; i < r.specs.size(); ++i) {
    const SettingSpec& spec = r.specs[i];
    auto add = [&](std::string_view name) {
      // A name listed twice would make lookups ambiguous: a bug in a table.
      if (!r.by_name.emplace(name, i).second) {
        throw Error(ErrorCode::kInternal, fmt::format("setting {} is registered twice", name));
      }
      r.flag_to_name.emplace(ToFlagName(name), name);
    };
    add(spec.name);
    for (std::string_view alias : spec.aliases) add(alias);
  }
}

const Registry& FrozenRegistry() {
  Registry& r = MutableRegistry();
  if (!r.frozen) {
    Index(r);
    r.frozen = true;
  }
  return r;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string_view SettingStatusName(SettingStatus status) {
  switch (status) {
    case SettingStatus::kImplemented:
      return "implemented";
    case SettingStatus::kRefused:
      return "refused";
    case SettingStatus::kWarned:
      return "warned";
    case SettingStatus::kUndeclared:
      break;
  }
  return "undeclared";
}

DefineSetting::DefineSetting(std::string_view name, SettingKind kind,
                             std::string_view description) {
  spec_.name = name;
  spec_.kind = kind;
  spec_.description = description;
}

DefineSetting& DefineSetting::Default(std::string_view value) {
  spec_.default_value = value;
  return *this;
}

DefineSetting& DefineSetting::Alias(std::string_view alias) {
  spec_.aliases.push_back(alias);
  return *this;
}

DefineSetting& DefineSetting::Accepts(std::vector<std::string_view> values) {
  spec_.accepted = std::move(values);
  return *this;
}

DefineSetting& DefineSetting::Secret() {
  spec_.secret = true;
  return *this;
}

DefineSetting& DefineSetting::ExportToEnv() {
  spec_.export_to_env = true;
  return *this;
}

DefineSetting& DefineSetting::StorageKey(std::string_view key) {
  for (std::string_view prefix : {"WALG_", "WALE_", ""}) {
    std::string spelled = std::string(prefix) + std::string(key);
    if (spelled != spec_.name) spec_.aliases.push_back(Intern(std::move(spelled)));
  }
  return *this;
}

DefineSetting& DefineSetting::Implemented() {
  spec_.status = SettingStatus::kImplemented;
  return *this;
}

DefineSetting& DefineSetting::Refused(std::string_view note) {
  spec_.status = SettingStatus::kRefused;
  spec_.status_note = note;
  return *this;
}

DefineSetting& DefineSetting::Warned(std::string_view note) {
  spec_.status = SettingStatus::kWarned;
  spec_.status_note = note;
  return *this;
}

void RegisterSettingSpecs(std::span<const SettingSpec> specs) {
  if (specs.empty()) return;
  Registry& r = MutableRegistry();
  for (const SettingSpec* first : r.registered_from) {
    if (first == specs.data()) return;  // the same list again
  }
  if (r.frozen) {
    throw Error(ErrorCode::kInternal,
                fmt::format("setting {} registered after the settings were first used",
                            specs.front().name));
  }
  r.registered_from.push_back(specs.data());
  r.specs.insert(r.specs.end(), specs.begin(), specs.end());
}

std::span<const SettingSpec> AllSettingSpecs() { return FrozenRegistry().specs; }

const SettingSpec* FindSettingSpec(std::string_view name) {
  const Registry& r = FrozenRegistry();
  auto it = r.by_name.find(name);
  return it == r.by_name.end() ? nullptr : &r.specs[it->second];
}

FlagMatch FindSettingSpecByFlag(std::string_view flag) {
  const auto& flags = FrozenRegistry().flag_to_name;
  auto it = flags.find(flag);
  if (it == flags.end()) return {};
  return {FindSettingSpec(it->second), it->second};
}

std::string ToFlagName(std::string_view setting_name) {
  std::string flag(setting_name);
  for (char& c : flag) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return flag;
}

std::string_view SuggestSettingName(std::string_view unknown) {
  const Registry& r = FrozenRegistry();
  std::string_view best;
  size_t best_distance = 3;
  for (const auto& [name, index] : r.by_name) {
    size_t distance = EditDistance(unknown, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = r.specs[index].name;
    }
  }
  return best;
}

}  // namespace walnut
