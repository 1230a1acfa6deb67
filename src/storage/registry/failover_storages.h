#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/settings.h"
#include "localfs/local_fs.h"
#include "storage/storage.h"

namespace walnut {

// What a command does with the storage, for the alive check (as WAL-G's RO and RW checkers): a
// reading command needs a member that lists; a writing one also one that takes a write.
enum class StorageAccess { kRead, kReadWrite };

// WAL-G's failover storages (docs/FailoverStorages.md): WALG_FAILOVER_STORAGES maps a name to a
// storage's own settings, as a nested object of the config file (or JSON text in the
// environment). Each member is configured from its object alone, as WAL-G's viper.Sub; the
// other settings (compression, encryption, WALG_STORAGE_PREFIX, retry budget) are the root's.
struct FailoverStorageConfig {
  std::string name;  // lower case, as viper reads map keys
  Config config;
};

// The failover storages, sorted by name (WAL-G's order). Throws kInvalidArgument naming
// WALG_FAILOVER_STORAGES for text that is not an object of objects, the reserved name "default",
// a value that is neither a string, a number nor a boolean, or a member setting that is refused.
std::vector<FailoverStorageConfig> ParseFailoverStorages(const Config& root);

// The alive-check settings: WALG_FAILOVER_STORAGES_CHECK, _CHECK_TIMEOUT, _CHECK_SIZE,
// _CACHE_LIFETIME and Walnut's WALNUT_FAILOVER_STATUS_CACHE.
struct FailoverCheckOptions {
  bool check = true;
  std::chrono::milliseconds timeout{30'000};
  uint64_t check_size = 1 << 20;
  std::chrono::seconds cache_lifetime{15 * 60};
  std::string cache_path;  // "" keeps statuses in memory only
};
FailoverCheckOptions LoadFailoverCheckOptions(const Config& root);

// The statuses of storages, shared between commands through a small JSON file (WAL-G keeps
// ~/.walg_storage_{ro,rw}_status_cache): per access kind and storage, alive or dead and when
// that was learnt. A status older than the lifetime is unknown, so the storage is checked again.
// A file that is missing, unreadable or foreign counts as empty; writing it is best effort.
// Thread-safe; between processes, each Set() reads the file and replaces it whole (rename), so a
// reader never sees a torn file but concurrent writers can lose each other's updates: a lost
// status is learnt again by the next check (docs/failover.md).
class FailoverStatusCache {
 public:
  FailoverStatusCache(LocalFs& fs, std::string path, std::chrono::seconds lifetime);

  // Alive (true), dead (false) or unknown.
  std::optional<bool> Get(StorageAccess access, const std::string& key) const;
  void Set(StorageAccess access, const std::string& key, bool alive);

 private:
  LocalFs& fs_;
  std::string path_;
  std::chrono::seconds lifetime_;
};

// The explicit check of one storage, as WAL-G's: list the root; for kReadWrite also write an
// object "wal-g_storage_check" of `check_size` bytes and delete it. Gives up after `timeout`:
// the check runs on a detached thread that holds `storage` (a shared_ptr, so it stays valid) and
// is abandoned, not stopped, when the time is up; it releases the storage when its request ends,
// or dies with the process. Returns "" when alive, else why not, in one line.
std::string CheckStorageAlive(std::shared_ptr<Storage> storage, const std::string& sub_prefix,
                              StorageAccess access, uint64_t check_size,
                              std::chrono::milliseconds timeout);

// Which storages a command uses: "" all of them (the primary and the failover storages found
// alive), "default" the primary alone, or one failover storage by name (--target-storage,
// WALG_TARGET_STORAGE; no alive check for a named one).
struct StorageTarget {
  std::string name;
  StorageAccess access = StorageAccess::kRead;
};

// Opens the storage a command works on: the primary alone when no failover storages are
// configured, else a FailoverStorage of the live members (at least one: none alive is an error
// naming each and why), or the member `target` names. The members are opened by `open_one` from
// their Config. Rate limiting and WALG_STORAGE_PREFIX are the caller's.
std::unique_ptr<Storage> OpenFailoverStorages(
    const Config& root, const Settings& common, const StorageTarget& target, LocalFs& fs,
    const std::function<std::unique_ptr<Storage>(const Config&)>& open_one);

// Every configured storage by name ("default" first), opened without any alive check: for
// `st transfer`, `st ls -t all` and `copy`, which name what they use.
std::vector<std::pair<std::string, std::shared_ptr<Storage>>> OpenAllStorages(
    const Config& root, const std::function<std::unique_ptr<Storage>(const Config&)>& open_one);

}  // namespace walnut
