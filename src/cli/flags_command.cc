#include "cli/flags_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "config/settings_listing.h"

namespace walnut {

void AddFlagsCommand(CLI::App& app, CommandContext& context, CommandAction& action) {
  auto* flags = app.add_subcommand(
      "flags",
      "List every setting: its flag, current value (secrets masked), source, and whether walnut "
      "implements it, refuses it or ignores it with a warning");
  flags->callback([&] {
    action = [&] {
      auto listing = ListSettings(context.config());
      size_t width = 0;
      for (const auto& row : listing) width = std::max(width, row.flag.size());
      std::string out;
      for (const auto& row : listing) {
        std::string value = row.source == SettingSource::kUnset
                                ? std::string("(unset)")
                                : fmt::format("{} [{}]", row.value, SettingSourceName(row.source));
        out += fmt::format("{:<{}}  {}\n    {}\n", row.flag, width, value, row.description);
        if (row.status != SettingStatus::kImplemented) {
          out += fmt::format("    {}: {}\n", SettingStatusName(row.status), row.status_note);
        }
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
      return 0;
    };
  });
}

}  // namespace walnut
