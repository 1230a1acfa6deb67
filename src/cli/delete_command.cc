#include "cli/delete_command.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backup/backup_catalog.h"
#include "backup/backup_name.h"
#include "common/error.h"
#include "retention/backup_inventory.h"
#include "retention/delete_executor.h"
#include "retention/delete_plan.h"
#include "retention/stale_temporaries.h"
#include "storage/locked_objects.h"

namespace walnut {
namespace {

// The last line of a delete that met objects under retention.
Error LockedError(const retention::DeleteReport& report) {
  auto count = [](uint64_t n, std::string_view what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
  };
  return Error(
      ErrorCode::kFailedPrecondition,
      fmt::format("{} {} not deleted{}: the bucket's Object Lock keeps them until {}; run "
                  "the delete again after that date (S3_RETENTION_PERIOD should end "
                  "before the retention policy deletes backups)",
                  count(report.locked, "object"), report.locked == 1 ? "was" : "were",
                  report.locked_backups == 0
                      ? ""
                      : fmt::format(" and {} kept whole", count(report.locked_backups, "backup")),
                  DescribeRetainUntil(report.locked_until)));
}

using retention::DeleteRequest;
using Mode = DeleteRequest::Mode;
using Modifier = DeleteRequest::Modifier;

struct DeleteArgs {
  Mode mode = Mode::kRetain;
  std::vector<std::string> words;  // the sub-command's positional arguments
  bool confirm = false;
  bool use_sentinel_time = false;
  std::string after;
  std::string target_user_data;
  bool without_backup_check = false;
};

Error Usage(const std::string& message) { return Error(ErrorCode::kInvalidArgument, message); }

// Takes FIND_FULL (and FULL where `full_allowed`) off the front of `words`.
Modifier TakeModifier(std::vector<std::string>& words, bool full_allowed) {
  if (words.empty()) return Modifier::kNone;
  if (words.front() == "FIND_FULL") {
    words.erase(words.begin());
    return Modifier::kFindFull;
  }
  if (full_allowed && words.front() == "FULL") {
    words.erase(words.begin());
    return Modifier::kFull;
  }
  return Modifier::kNone;
}

// A backup name or an RFC 3339 time, as retain --after and before take them.
void ParseNameOrTime(const std::string& word, std::string& name, std::optional<Timestamp>& time,
                     const std::string& what) {
  if (IsBackupName(word)) {
    name = word;
    return;
  }
  time = ParseRfc3339(word);
  if (!time) {
    throw Usage(
        fmt::format("{}: '{}' is neither a backup name (base_...) nor a time such as "
                    "2026-11-20T00:00:00Z",
                    what, word));
  }
}

void RequireWords(const std::vector<std::string>& words, size_t min, size_t max,
                  const std::string& usage) {
  if (words.size() < min || words.size() > max) {
    throw Usage(fmt::format("delete {}: expected {}", usage.substr(0, usage.find(' ')), usage));
  }
}

DeleteRequest ParseRequest(const DeleteArgs& args) {
  DeleteRequest request;
  request.mode = args.mode;
  std::vector<std::string> words = args.words;
  switch (args.mode) {
    case Mode::kRetain: {
      request.modifier = TakeModifier(words, true);
      RequireWords(words, 1, 1, "retain [FULL|FIND_FULL] N [--after NAME|TIME]");
      try {
        size_t used = 0;
        request.count = std::stoi(words[0], &used);
        if (used != words[0].size()) throw std::invalid_argument("trailing characters");
      } catch (const std::exception&) {
        throw Usage(fmt::format("delete retain: '{}' is not a number of backups", words[0]));
      }
      if (request.count < 1) throw Usage("delete retain: the number of backups must be at least 1");
      if (!args.after.empty()) {
        ParseNameOrTime(args.after, request.after_name, request.after, "delete retain --after");
      }
      break;
    }
    case Mode::kBefore:
      request.modifier = TakeModifier(words, false);
      RequireWords(words, 1, 1, "before [FIND_FULL] NAME|TIME");
      ParseNameOrTime(words[0], request.name, request.time, "delete before");
      break;
    case Mode::kEverything:
      RequireWords(words, 0, 1, "everything [FORCE]");
      if (!words.empty() && words[0] != "FORCE") {
        throw Usage(fmt::format("delete everything: '{}' is not FORCE", words[0]));
      }
      request.force = !words.empty();
      break;
    case Mode::kTarget:
      request.modifier = TakeModifier(words, false);
      RequireWords(words, args.target_user_data.empty() ? 1 : 0,
                   args.target_user_data.empty() ? 1 : 0,
                   "target [FIND_FULL] NAME | target [FIND_FULL] --target-user-data JSON");
      if (!words.empty()) request.name = words[0];
      break;
    case Mode::kGarbage:
      RequireWords(words, 0, 1, "garbage [ARCHIVES|BACKUPS]");
      if (!words.empty()) {
        if (words[0] != "ARCHIVES" && words[0] != "BACKUPS") {
          throw Usage(fmt::format("delete garbage: '{}' is not ARCHIVES or BACKUPS", words[0]));
        }
        request.archives = words[0] == "ARCHIVES";
        request.backups = words[0] == "BACKUPS";
      }
      request.without_backup_check = args.without_backup_check;
      break;
  }
  return request;
}

void LogPending(const retention::BackupInventory& inventory, Timestamp now) {
  for (const retention::UnlistedFolder& folder : inventory.unlisted) {
    if (!folder.pending) continue;
    const auto age = std::chrono::duration_cast<std::chrono::minutes>(now - folder.newest);
    spdlog::info(
        "{} has no sentinel but changed {} min ago: it may be being pushed, so delete leaves it, "
        "its bases and the WAL from its start alone (WALNUT_DELETE_PENDING_AGE)",
        BackupFolderKey(folder.name), age.count());
  }
}

int RunDelete(CommandContext& context, const DeleteArgs& args) {
  DeleteRequest request = ParseRequest(args);
  const Settings& settings = context.settings();
  BackupCatalog catalog(context.root());
  if (!args.target_user_data.empty()) {
    request.name = catalog.FindByUserData(args.target_user_data, "--target-user-data");
  }
  // Backups are ordered by start time whether or not --use-sentinel-time is given: see
  // retention/backup_inventory.h.
  (void)args.use_sentinel_time;
  const Timestamp now =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  retention::BackupInventory inventory = retention::LoadBackupInventory(
      catalog, settings.wal_segment_size, now, settings.delete_pending_age);
  LogPending(inventory, now);
  if (request.mode == Mode::kGarbage) {
    inventory.stale_temporaries =
        retention::FindStaleTemporaryFiles(catalog.root(), now, settings.delete_pending_age);
  }

  retention::DeletePlan plan = retention::PlanDelete(inventory, request);
  for (const std::string& note : plan.notes) spdlog::info("{}", note);
  if (plan.Empty()) {
    spdlog::info("{}", plan.nothing_reason.empty() ? "nothing to delete" : plan.nothing_reason);
    return 0;
  }
  retention::DeleteReport report =
      retention::ExecuteDelete(catalog, inventory, plan, args.confirm, settings.wal_segment_size);
  if (report.objects == 0 && report.locked == 0) {
    spdlog::info("nothing to delete");
    return 0;
  }
  const std::string counts = fmt::format(
      "{} objects ({} backups, {} leftover folders, {} WAL objects{})", report.objects,
      report.backups, report.folders, report.wal_objects,
      report.temporaries == 0
          ? ""
          : fmt::format(", {} temporary files of unfinished uploads", report.temporaries));
  if (args.confirm) {
    spdlog::info("Deleted {}", counts);
    // Not a success: what the rule asked for is not done, and the next run must be told to
    // look (a cron job that only checks the exit status would otherwise never learn).
    if (report.locked > 0) throw LockedError(report);
  } else {
    spdlog::info("Dry run: {} would be deleted; run with --confirm to delete them", counts);
  }
  return 0;
}

}  // namespace

void AddDeleteCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd = app.add_subcommand(
      "delete", "Deletes old backups and WAL (a dry run that changes nothing unless --confirm)");
  cmd->require_subcommand(0, 1);
  // Named here: CLI11 would only say "A subcommand is required".
  cmd->callback([cmd, &action] {
    if (!cmd->get_subcommands().empty()) return;
    action = []() -> int {
      throw Error(ErrorCode::kInvalidArgument,
                  "delete needs a rule: retain, before, everything, target or garbage; run "
                  "'walnut delete --help'");
    };
  });
  auto args = std::make_shared<DeleteArgs>();
  cmd->add_flag("--confirm", args->confirm,
                "Deletes for real; without it, only lists what would go");
  cmd->add_flag("--use-sentinel-time", args->use_sentinel_time,
                "Orders backups by their start time (always done; accepted for WAL-G)");

  struct Sub {
    const char* name;
    Mode mode;
    const char* help;
  };
  const Sub subs[] = {
      {"retain", Mode::kRetain, "retain [FULL|FIND_FULL] N: keeps the N newest (full) backups"},
      {"before", Mode::kBefore, "before [FIND_FULL] NAME|TIME: deletes what is older"},
      {"everything", Mode::kEverything, "everything [FORCE]: deletes all backups and WAL"},
      {"target", Mode::kTarget,
       "target [FIND_FULL] NAME: deletes one backup and the deltas that depend on it"},
      {"garbage", Mode::kGarbage,
       "garbage [ARCHIVES|BACKUPS]: deletes WAL older than every backup and leftover folders"},
  };
  for (const Sub& sub : subs) {
    CLI::App* sc = cmd->add_subcommand(sub.name, sub.help);
    sc->fallthrough();
    sc->add_option("arguments", args->words, sub.help)->expected(0, 3);
    if (sub.mode == Mode::kRetain) {
      // -a as WAL-G's cmd/pg/delete.go (StringP("after", "a", ...)).
      sc->add_option("-a,--after", args->after,
                     "Also keeps the backups since NAME or TIME (RFC 3339)");
    }
    if (sub.mode == Mode::kTarget) {
      sc->add_option("--target-user-data", args->target_user_data,
                     "Picks the backup by its user data (JSON) instead of its name");
    }
    if (sub.mode == Mode::kGarbage) {
      sc->add_flag("--without-backup-check", args->without_backup_check,
                   "Deletes WAL even when no backup that is not permanent exists");
    }
    const Mode mode = sub.mode;
    sc->callback([&context, &action, args, mode] {
      args->mode = mode;
      action = [&context, args]() -> int { return RunDelete(context, *args); };
    });
  }
}

}  // namespace walnut
