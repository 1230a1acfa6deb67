#include "cli/cli.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli/backup_fetch_command.h"
#include "cli/backup_list_command.h"
#include "cli/backup_mark_command.h"
#include "cli/backup_push_command.h"
#include "cli/daemon_command.h"
#include "cli/check_command.h"
#include "cli/command_context.h"
#include "cli/completion_command.h"
#include "cli/delete_command.h"
#include "cli/drill_command.h"
#include "cli/flags_command.h"
#include "cli/metrics_command.h"
#include "cli/setting_registry.h"
#include "cli/st_commands.h"
#include "cli/transfer_commands.h"
#include "cli/version.h"
#include "cli/wal_fetch_command.h"
#include "cli/wal_push_command.h"
#include "cli/wal_show_command.h"
#include "cli/verify_command.h"
#include "cli/wal_verify_command.h"
#include "common/error.h"
#include "common/logging.h"
#include "config/config.h"
#include "config/environment.h"
#include "config/setting_flags.h"
#include "observe/statsd.h"

namespace walnut {
namespace {

// Exit codes: WAL-G exits 1 on any failure; we keep that and add 2 for usage and settings errors
// (as most Unix tools), which PostgreSQL's archive_command treats as a failure all the same.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int ExitCodeFor(const Error& e) {
  return e.code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// Errors are one line: a message that spans lines (a server's body) is folded, and other control
// characters (an escape sequence from damaged content would drive the terminal) are shown as
// \xNN. The messages that quote stored content bound and escape it themselves (Excerpt).
std::string OneLine(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

// WAL-G's metrics hook: after a command returns or fails, its counters go to
// WALG_STATSD_ADDRESS (a failed command's counts, such as its failed uploads, matter most). A push
// that fails is a warning, never the command's failure.
void PushStatsd(CommandContext& context) noexcept {
  std::string address;
  std::string tags;
  try {
    // Nothing configured: leave the settings alone (a command such as `flags` never loads them).
    if (context.config().Get("WALG_STATSD_ADDRESS").value_or("").empty()) return;
    address = context.settings().statsd_address;
    tags = context.settings().statsd_extra_tags;
  } catch (const std::exception&) {
    return;  // the command ran without valid settings (flags, --help): nothing configured
  }
  if (address.empty()) return;
  try {
    observe::SendStatsd(address, observe::StatsdLines(stats::Take(), observe::ParseStatsdTags(tags)));
  } catch (const std::exception& e) {
    spdlog::warn("Pushing metrics failed: {}", OneLine(e.what()));
  }
}

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  SettingFlags setting_flags = ExtractSettingFlags(args);

  Environment env = ProcessEnvironment();
  auto level_it = env.find("WALG_LOG_LEVEL");
  InitLogging(level_it == env.end() ? "NORMAL" : level_it->second);

  CLI::App app{"Walnut: PostgreSQL backups and point-in-time recovery, compatible with WAL-G"};
  app.name("walnut");
  app.require_subcommand(1);
  app.set_version_flag("--version", VersionText(argc > 0 ? argv[0] : "walnut"));
  // Both are taken out of the arguments before parsing; declared so that --help lists them.
  std::string config_path_for_help;
  app.add_option("--config", config_path_for_help,
                 "Config file (JSON, TOML or YAML); default $WALG_CONFIG_PATH or "
                 "~/.walg.{json,toml,yaml,yml}");
  bool turbo = false;
  app.add_flag("--turbo", turbo, "Ignore rate limits (accepted for WAL-G compatibility)");
  app.footer(
      "Every setting (WALG_*, AWS_*, PG*) may also be given as a flag: --walg-s3-prefix=..., "
      "--pghost=...; see `walnut flags`.");

  Config config = Config::Load(setting_flags, env);
  // Re-initialise with the resolved level and destination: they may come from the config file or
  // a flag. An unusable log file fails here, before the command does anything.
  InitLogging(config.Get("WALG_LOG_LEVEL").value_or("NORMAL"),
              config.Get("WALG_LOG_DESTINATION").value_or(""));
  for (const auto& warning : config.warnings()) spdlog::warn("{}", warning);
  config.ExportPgEnvironment();

  CommandContext context(std::move(config));
  CommandAction action;
  AddStorageToolCommands(app, context, action);
  AddFlagsCommand(app, context, action);
  AddWalPushCommand(app, context, action);
  AddWalFetchCommand(app, context, action);
  AddWalShowCommand(app, context, action);
  AddWalVerifyCommand(app, context, action);
  AddBackupPushCommand(app, context, action);
  AddBackupFetchCommand(app, context, action);
  AddBackupListCommand(app, context, action);
  AddBackupMarkCommand(app, context, action);
  AddDeleteCommand(app, context, action);
  AddDrillCommand(app, context, action);
  AddCheckCommand(app, context, action);
  AddMetricsCommand(app, context, action);
  AddCompletionCommand(app, context, action);
  AddVerifyCommand(app, context, action);
  AddCopyCommand(app, context, action);
  AddDaemonCommand(app, context, action);

  // CLI11 reports a mistyped command as "a subcommand is required"; name it instead.
  for (const auto& arg : args) {
    if (arg.empty() || arg[0] == '-') continue;
    auto known = app.get_subcommands([&](CLI::App* sub) { return sub->check_name(arg); });
    if (known.empty()) {
      spdlog::error("unknown command '{}'; run 'walnut --help' for the commands", arg);
      return kExitUsage;
    }
    break;
  }

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    spdlog::error("{}; run 'walnut --help' for the commands and flags", OneLine(e.what()));
    return kExitUsage;
  }
  if (!action) {
    spdlog::error("no command given; run 'walnut --help'");
    return kExitUsage;
  }
  context.set_turbo(turbo);
  int status = 0;
  try {
    status = action();
  } catch (...) {
    PushStatsd(context);
    throw;
  }
  PushStatsd(context);
  return status;
}

}  // namespace

int RunCli(int argc, char** argv) {
  try {
    // WAL-G's line format from the very first message (a bad setting flag fails before Run()
    // knows WALG_LOG_LEVEL). libcurl is loaded and initialised by the S3 backend when first used.
    InitLogging();
    InstallSettingSpecs();
    return Run(argc, argv);
  } catch (const Error& e) {
    spdlog::error("{}", OneLine(e.what()));
    return ExitCodeFor(e);
  } catch (const std::exception& e) {
    spdlog::error("unexpected failure: {}", OneLine(e.what()));
    return kExitFailure;
  }
}

}  // namespace walnut
