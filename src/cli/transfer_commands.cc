#include "cli/transfer_commands.h"

#include <memory>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "config/config_file.h"
#include "config/setting_status.h"
#include "config/setting_values.h"
#include "pipeline/pipeline_settings.h"
#include "storage/registry/storage_registry.h"
#include "transfer/transfer.h"

namespace walnut {
namespace {

// One storage, configured by a config file alone (as WAL-G's copy: not the environment, whose
// storage settings are the current one's), WALG_STORAGE_PREFIX applied.
struct ConfiguredStorage {
  std::unique_ptr<Config> config;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<Folder> root;
  PipelineOptions pipeline;
  Settings settings;
};

ConfiguredStorage OpenFromConfigFile(const std::string& flag, const std::string& path) {
  if (path.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: give the config file of the storage", flag));
  }
  ConfiguredStorage out;
  try {
    out.config = std::make_unique<Config>(Config::Values{}, Environment{}, ReadConfigFile(path));
    for (const std::string& w : out.config->warnings()) spdlog::warn("{}: {}", path, w);
    for (const std::string& w : CheckSettingStatuses(*out.config)) spdlog::warn("{}", w);
    out.settings = LoadSettings(*out.config);
    out.storage = OpenStorage(*out.config, out.settings);
    out.pipeline = LoadPipelineOptions(*out.config);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{} {}: {}", flag, path, e.what()));
  }
  out.root = std::make_unique<Folder>(*out.storage, out.settings.storage_sub_prefix);
  return out;
}

// The storages of `st transfer`, by name.
struct NamedStorages {
  std::vector<std::pair<std::string, std::shared_ptr<Storage>>> all;
  std::string sub_prefix;

  Folder Find(const std::string& flag, const std::string& name) const {
    std::string names;
    for (const auto& [n, storage] : all) {
      if (n == name) return Folder(*storage, sub_prefix);
      names += (names.empty() ? "" : ", ") + n;
    }
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} {}: no such storage; configured: {}", flag, name, names));
  }
};

// The flags of `st transfer`: the options go straight into TransferOptions; only the two names
// and the interval (a duration in text) are the command's.
struct TransferFlags {
  std::string source;
  std::string appearance_interval = "1s";
  transfer::TransferOptions options;
};

int RunTransfer(CommandContext& context, const TransferFlags& flags, const std::string& what,
                const std::string& prefix) {
  const std::string target_name =
      context.target_storage().empty() ? "default" : context.target_storage();
  if (flags.source.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "st transfer: --source is required: the storage to move objects from ('default' "
                "for the primary)");
  }
  if (flags.source == "all" || target_name == "all") {
    throw Error(ErrorCode::kInvalidArgument,
                "st transfer: name one source and one target storage, not 'all'");
  }
  if (flags.source == target_name) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("st transfer: the source and the target are both '{}'; give another "
                            "target with -t",
                            target_name));
  }
  if (flags.options.concurrency < 1) {
    throw Error(ErrorCode::kInvalidArgument, "st transfer --concurrency: must be at least 1");
  }
  std::optional<std::chrono::nanoseconds> interval =
      ParseSettingDuration(flags.appearance_interval);
  if (!interval || interval->count() < 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("st transfer --appearance-checks-interval {}: expected a duration "
                            "such as 1s or 500ms",
                            flags.appearance_interval));
  }
  const Settings& settings = context.settings();
  NamedStorages storages{OpenEveryStorage(context.config(), settings),
                         settings.storage_sub_prefix};
  Folder source = storages.Find("--source", flags.source);
  Folder target = storages.Find("--target", target_name);

  transfer::TransferOptions o = flags.options;
  o.appearance_interval = std::chrono::duration_cast<std::chrono::milliseconds>(*interval);
  o.pipeline = &context.pipeline();
  transfer::TransferResult r = what == "backups"
                                   ? transfer::TransferBackups(source, target, o)
                                   : transfer::TransferFiles(source, target, prefix, o);
  spdlog::info("{} moved from '{}' to '{}', {} left as they were (already in the target)",
               r.moved, flags.source, target_name, r.skipped);
  return 0;
}

void AddTransferFlags(CLI::App* cmd, TransferFlags& f) {
  cmd->add_option("-s,--source", f.source,
                  "Storage to move objects from: 'default' (the primary) or a failover storage");
  cmd->add_flag("-o,--overwrite", f.options.overwrite,
                "Also move objects the target already has, overwriting them there");
  cmd->add_flag("-p,--preserve", f.options.preserve, "Copy only: keep the objects in the source");
  cmd->add_flag("--fail-fast", f.options.fail_fast, "Stop at the first object that fails");
  cmd->add_option("-c,--concurrency", f.options.concurrency, "Objects moved at once (10)");
  cmd->add_option("-m,--max-files", f.options.max_files,
                  "Move at most this many objects in this run");
  cmd->add_option("--appearance-checks", f.options.appearance_checks,
                  "Times to check that a copied object is readable in the target before it is "
                  "deleted from the source (3; 0: none)");
  cmd->add_option("--appearance-checks-interval", f.appearance_interval,
                  "Time between those checks (1s)");
}

}  // namespace

void AddStorageTransferCommands(CLI::App& st, CommandContext& context, CommandAction& action) {
  {
    auto* transfer = st.add_subcommand(
        "transfer", "Move objects from one configured storage to another (failover storages)");
    transfer->require_subcommand(1);
    auto flags = std::make_shared<TransferFlags>();
    auto* files = transfer->add_subcommand("files", "Move every object under a prefix");
    auto prefix = std::make_shared<std::string>();
    files->add_option("prefix", *prefix, "Folder (or object) in both storages")->required();
    AddTransferFlags(files, *flags);
    files->callback([&, flags, prefix] {
      action = [&, flags, prefix] { return RunTransfer(context, *flags, "files", *prefix); };
    });
    auto* wals = transfer->add_subcommand("pg-wals", "Move the WAL archive (wal_005/)");
    AddTransferFlags(wals, *flags);
    wals->callback([&, flags] {
      action = [&, flags] { return RunTransfer(context, *flags, "files", "wal_005/"); };
    });
    auto* backups = transfer->add_subcommand(
        "backups", "Move whole backups, their sentinels last (and deleted from the source first)");
    AddTransferFlags(backups, *flags);
    backups->add_option("--max-backups", flags->options.max_backups,
                        "Move at most this many backups");
    backups->callback([&, flags] {
      action = [&, flags] { return RunTransfer(context, *flags, "backups", ""); };
    });
  }
  {
    auto* copy = st.add_subcommand(
        "copy", "Copy the objects under a prefix from one storage (a config file) to another");
    auto from = std::make_shared<std::string>();
    auto to = std::make_shared<std::string>();
    auto prefix = std::make_shared<std::string>();
    copy->add_option("--from", *from, "Config file of the storage to copy from")->required();
    copy->add_option("--to", *to, "Config file of the storage to copy to")->required();
    copy->add_option("-p,--prefix", *prefix, "Copy only the objects under this prefix");
    copy->callback([&, from, to, prefix] {
      action = [&, from, to, prefix] {
        ConfiguredStorage source = OpenFromConfigFile("--from", *from);
        ConfiguredStorage target = OpenFromConfigFile("--to", *to);
        transfer::TransferOptions o;
        o.preserve = true;
        o.overwrite = true;
        o.appearance_checks = 0;
        o.pipeline = &source.pipeline;
        transfer::TransferFiles(*source.root, *target.root, *prefix, o);
        return 0;
      };
    });
  }
}

void AddCopyCommand(CLI::App& app, CommandContext& /*context*/, CommandAction& action) {
  auto* cmd = app.add_subcommand(
      "copy", "Copy backups and their WAL from one storage to another, byte for byte");
  struct Flags {
    std::string from, to, backup_name;
    bool with_history = false, without_history = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("-f,--from", f->from, "Config file of the storage to copy from")->required();
  cmd->add_option("-t,--to", f->to, "Config file of the storage to copy to")->required();
  cmd->add_option("-b,--backup-name", f->backup_name,
                  "The backup to copy (a name or LATEST); without it, everything");
  auto* with = cmd->add_flag("-w,--with-history", f->with_history,
                             "Also all WAL after the backup (to the newest)");
  cmd->add_flag("--without-history", f->without_history, "The backup alone, without its WAL")
      ->excludes(with);
  cmd->callback([&action, f] {
    action = [f] {
      ConfiguredStorage source = OpenFromConfigFile("--from", f->from);
      ConfiguredStorage target = OpenFromConfigFile("--to", f->to);
      transfer::CopyOptions o;
      o.backup_name = f->backup_name;
      o.with_history = f->with_history;
      o.without_history = f->without_history;
      o.wal_segment_size = source.settings.wal_segment_size;
      o.concurrency = std::max(1, source.settings.upload_concurrency);
      o.pipeline = &source.pipeline;
      transfer::CopyArchive(*source.root, *target.root, o);
      return 0;
    };
  });
}

}  // namespace walnut
