#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/settings.h"
#include "pipeline/pipeline.h"
#include "storage/folder.h"
#include "storage/storage.h"

namespace CLI {
class App;
}  // namespace CLI

namespace walnut {

// What every command needs, built lazily from the settings so that `walnut --help` or
// `walnut flags` work without a storage configured. Not thread-safe: the CLI thread owns it;
// the Storage it hands out is thread-safe.
class CommandContext {
 public:
  explicit CommandContext(Config config);
  ~CommandContext();

  const Config& config() const { return config_; }
  // Validated settings; throws kInvalidArgument naming the first bad setting.
  const Settings& settings();
  // The storage root, WALG_STORAGE_PREFIX applied, its object reads and writes held to
  // WALG_NETWORK_RATE_LIMIT unless turbo() (decided at the first call). Throws when no storage
  // is configured.
  const Folder& root();
  // Compression and encryption as configured.
  const PipelineOptions& pipeline();

  // --turbo: ignore rate limits (WALG_DISK_RATE_LIMIT, WALG_NETWORK_RATE_LIMIT).
  bool turbo() const { return turbo_; }
  void set_turbo(bool turbo) { turbo_ = turbo; }

  // --target-storage: "default", a failover storage's name, or "" for WALG_TARGET_STORAGE (unset:
  // every storage found alive). Decided at the first root().
  void set_target_storage(std::string name) { target_storage_ = std::move(name); }
  const std::string& target_storage() const { return target_storage_; }
  // A command that writes: the alive check of failover storages also writes. Before root().
  void set_writes(bool writes) { writes_ = writes; }

 private:
  Config config_;
  std::optional<Settings> settings_;
  std::unique_ptr<Storage> storage_;
  std::optional<Folder> root_;
  std::optional<PipelineOptions> pipeline_;
  bool turbo_ = false;
  std::string target_storage_;
  bool writes_ = false;
};

// Adds WAL-G's --target-storage NAME to `cmd`: "default" (the primary storage) or a failover
// storage's name; without it, WALG_TARGET_STORAGE, else every storage found alive.
void AddTargetStorageOption(CLI::App& cmd, CommandContext& context);

}  // namespace walnut
