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

 private:
  Config config_;
  std::optional<Settings> settings_;
  std::unique_ptr<Storage> storage_;
  std::optional<Folder> root_;
  std::optional<PipelineOptions> pipeline_;
  bool turbo_ = false;
};

}  // namespace walnut
