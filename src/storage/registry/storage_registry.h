#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "config/config.h"
#include "config/setting_specs.h"
#include "config/settings.h"
#include "localfs/local_fs.h"
#include "storage/registry/failover_storages.h"
#include "storage/storage.h"

namespace walnut {

// One storage backend: a row of the registry table (storage_registry.cc). Adding a backend is a
// folder under src/storage/ with its Storage, its settings (the specs, with their statuses, and
// the mapping to its options) and its tests, plus one row here; docs/architecture.md shows the
// steps.
struct StorageBackend {
  std::string_view name;            // "s3", "file": for messages
  std::string_view prefix_setting;  // "WALG_S3_PREFIX": setting it selects the backend
  // The backend's settings, its prefix setting among them, each with its status.
  std::span<const SettingSpec> (*settings)();
  // Opens the storage the prefix setting names, reading the backend's own settings from `config`
  // and the shared ones from `common`; throws kInvalidArgument naming a bad setting. nullptr for
  // a WAL-G backend Walnut does not have yet: its prefix setting is refused (SettingStatus).
  std::unique_ptr<Storage> (*open)(const Config& config, const Settings& common);
};

// Every backend, in WAL-G's selection order (internal/storage_adapter.go): when several prefixes
// are set, the first one wins.
std::span<const StorageBackend> StorageBackends();

// Every backend's settings, for RegisterSettingSpecs (cli/setting_registry.h installs them).
std::vector<std::span<const SettingSpec>> StorageSettingSpecLists();

// The backend the settings select: the first, in WAL-G's order, whose prefix setting is set.
// Throws kInvalidArgument "no storage configured: ..." when none is.
const StorageBackend& SelectStorageBackend(const Config& config);

// Opens the selected backend's storage. WALG_STORAGE_PREFIX is not applied here: callers take
// Settings::storage_sub_prefix as their root Folder.
std::unique_ptr<Storage> OpenStorage(const Config& config, const Settings& common);

// The storage a command works on: OpenStorage's, or with WALG_FAILOVER_STORAGES the primary and
// the failover storages found alive as one FailoverStorage, or the one `target` names
// (storage/registry/failover_storages.h). `fs` keeps the statuses between commands.
std::unique_ptr<Storage> OpenCommandStorage(const Config& config, const Settings& common,
                                            const StorageTarget& target, LocalFs& fs);

// Every configured storage by name, "default" first, without alive checks.
std::vector<std::pair<std::string, std::shared_ptr<Storage>>> OpenEveryStorage(
    const Config& config, const Settings& common);

}  // namespace walnut
