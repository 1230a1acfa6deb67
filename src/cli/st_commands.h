#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "cli/command_context.h"

namespace walnut {

// The action a parsed command runs; returns the exit code.
using CommandAction = std::function<int()>;

// `st ls|get|put|cat|rm|check`: WAL-G's storage tools, working on the configured storage.
void AddStorageToolCommands(CLI::App& app, CommandContext& context, CommandAction& action);

}  // namespace walnut
