#include "cli/wal_show_command.h"

#include <cstdio>
#include <memory>
#include <optional>

#include "cli/wal_backup_refs.h"
#include "common/logging.h"
#include "wal/wal_show.h"

namespace walnut {
namespace {

int ShowWal(CommandContext& context, bool detailed_json, bool without_backups) {
  const uint64_t segment_size = context.settings().wal_segment_size;
  Folder wal_folder = context.root().Sub(wal::kWalFolder);
  wal::WalCatalog catalog = wal::WalCatalog::List(wal_folder, segment_size);
  wal::TimelineHistories histories =
      wal::ReadTimelineHistories(wal_folder, catalog, context.pipeline());

  std::optional<std::vector<wal::WalBackupRef>> backups;
  if (!without_backups) {
    backups = LoadWalBackupRefs(context);
    if (backups->empty()) spdlog::info("No backups found in storage.");
  }
  auto timelines = wal::ShowWal(catalog, histories, backups ? &*backups : nullptr);
  std::string out = detailed_json
                        ? wal::RenderWalShowJson(timelines, segment_size)
                        : wal::RenderWalShowTable(timelines, !without_backups, segment_size);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddWalShowCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* cmd =
      app.add_subcommand("wal-show", "Show storage WAL segments info grouped by timelines");
  auto detailed_json = std::make_shared<bool>(false);
  auto without_backups = std::make_shared<bool>(false);
  cmd->add_flag("--detailed-json", *detailed_json, "Output detailed information in JSON format");
  cmd->add_flag("--without-backups", *without_backups, "Disable backups lookup for each timeline");
  cmd->callback([&, detailed_json, without_backups] {
    action = [&, detailed_json, without_backups] {
      return ShowWal(context, *detailed_json, *without_backups);
    };
  });
}

}  // namespace walnut
