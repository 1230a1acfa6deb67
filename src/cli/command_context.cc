#include "cli/command_context.h"

#include <CLI/CLI.hpp>

#include "common/logging.h"
#include "localfs/local_fs.h"
#include "config/setting_status.h"
#include "pipeline/pipeline_settings.h"
#include "storage/rate_limited_storage.h"
#include "storage/registry/storage_registry.h"

namespace walnut {

CommandContext::CommandContext(Config config) : config_(std::move(config)) {}

CommandContext::~CommandContext() = default;

const Settings& CommandContext::settings() {
  if (!settings_) {
    // Refused settings stop the command before anything else happens; warned ones say once what
    // they ignore.
    for (const std::string& warning : CheckSettingStatuses(config_)) spdlog::warn("{}", warning);
    settings_ = LoadSettings(config_);
  }
  return *settings_;
}

const Folder& CommandContext::root() {
  if (!root_) {
    const Settings& s = settings();
    StorageTarget target;
    target.name = !target_storage_.empty() ? target_storage_
                                           : config_.Get("WALG_TARGET_STORAGE").value_or("");
    target.access = writes_ ? StorageAccess::kReadWrite : StorageAccess::kRead;
    storage_ = OpenCommandStorage(config_, s, target, LocalFs::Default());
    // As WAL-G: every command's object reads and writes, unless --turbo.
    if (s.network_rate_limit && !turbo_) {
      storage_ = std::make_unique<RateLimitedStorage>(std::move(storage_), *s.network_rate_limit);
    }
    root_.emplace(*storage_, s.storage_sub_prefix);
  }
  return *root_;
}

const PipelineOptions& CommandContext::pipeline() {
  if (!pipeline_) {
    settings();
    pipeline_ = LoadPipelineOptions(config_);
  }
  return *pipeline_;
}

void AddTargetStorageOption(CLI::App& cmd, CommandContext& context) {
  cmd.add_option_function<std::string>(
      "--target-storage",
      [&context](const std::string& name) { context.set_target_storage(name); },
      "Storage to use: 'default' (the primary) or a failover storage's name (WALG_TARGET_STORAGE); "
      "unset: every storage found alive");
}

}  // namespace walnut
