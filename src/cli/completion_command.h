#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_context.h"
#include "cli/st_commands.h"

namespace walnut {

// `completion bash|zsh` (as WAL-G's): a shell completion script for walnut and wal-g, generated
// from the command parser's own tree of commands and options, so it never lags behind them.
// `global_flags` are flags accepted before or after any command that the parser does not declare
// (the setting flags: --walg-s3-prefix ...).
void AddCompletionCommand(CLI::App& app, CommandContext& context, CommandAction& action);

std::string BashCompletionScript(const CLI::App& app, const std::vector<std::string>& global_flags);
std::string ZshCompletionScript(const CLI::App& app, const std::vector<std::string>& global_flags);

}  // namespace walnut
