// walnut-daemon-client (also installed as walg-daemon-client): sends one request to `walnut daemon`
// (or WAL-G's daemon) over WAL-G's daemon protocol, with WAL-G's client's usage and exit statuses.
//   walnut-daemon-client SOCKET wal-push WAL_PATH               (archive_command: %f or %p)
//   walnut-daemon-client SOCKET wal-fetch WAL_NAME DESTINATION  (restore_command: %f %p)
//   flags, anywhere after SOCKET: --timeout DURATION (60s), --connection-timeout DURATION (5s)
// Exit status: 0 done; 74 the WAL file is not archived (wal-fetch); 1 any other failure, but 255
// for a failed wal-fetch in archive recovery, as `walnut wal-fetch` (wal/restore_exit_status.h).

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "config/setting_values.h"
#include "daemon/protocol/daemon_client.h"
#include "daemon/protocol/protocol.h"
#include "localfs/local_fs.h"
#include "wal/restore_exit_status.h"

namespace walnut::daemon {
namespace {

constexpr int kExitFailure = 1;

constexpr const char* kUsage =
    "usage: walnut-daemon-client SOCKET wal-push WAL_PATH [--timeout 60s] "
    "[--connection-timeout 5s]\n"
    "       walnut-daemon-client SOCKET wal-fetch WAL_NAME DESTINATION [--timeout 60s] "
    "[--connection-timeout 5s]\n"
    "Sends one request to `walnut daemon SOCKET` (or WAL-G's daemon). Exit status: 0 done, 74 the "
    "WAL file is not archived, 1 any other failure (255 for a failed wal-fetch in archive "
    "recovery).\n";

struct Invocation {
  ClientOptions options;
  std::string command;
  std::vector<std::string> args;
};

int UsageError(const std::string& problem) {
  std::fprintf(stderr, "ERROR: %s\n%s", problem.c_str(), kUsage);
  return kExitFailure;
}

std::chrono::nanoseconds ParseTimeout(std::string_view flag, std::string_view text) {
  std::optional<std::chrono::nanoseconds> value = ParseSettingDuration(text);
  if (!value || value->count() <= 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} '{}' is not a positive duration such as 30s or 500ms", flag, text));
  }
  return *value;
}

// Go's flag syntax, as WAL-G's client: -name value, -name=value, with one or two dashes.
Invocation ParseArguments(const std::vector<std::string>& argv) {
  Invocation invocation;
  std::vector<std::string> positional;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name != "timeout" && name != "connection-timeout") {
      throw Error(ErrorCode::kInvalidArgument, fmt::format("unknown flag {}", arg));
    }
    if (!value) {
      if (i + 1 >= argv.size()) {
        throw Error(ErrorCode::kInvalidArgument, fmt::format("flag {} needs a duration", arg));
      }
      value = argv[++i];
    }
    (name == "timeout" ? invocation.options.timeout : invocation.options.connection_timeout) =
        ParseTimeout("--" + name, *value);
  }
  if (positional.size() < 2) throw Error(ErrorCode::kInvalidArgument, "not enough arguments");
  invocation.options.socket_path = positional[0];
  invocation.command = positional[1];
  for (char& c : invocation.command) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t wanted = invocation.command == "wal-push"    ? 1
                  : invocation.command == "wal-fetch" ? 2
                                                      : 0;
  if (wanted == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("unsupported command '{}'; the commands are wal-push and wal-fetch",
                            positional[1]));
  }
  if (positional.size() != 2 + wanted) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} takes {} argument{}, {} given", invocation.command, wanted,
                            wanted == 1 ? "" : "s", positional.size() - 2));
  }
  invocation.args.assign(positional.begin() + 2, positional.end());
  return invocation;
}

// The daemon reads the file from $PGDATA/pg_wal by its name (WAL-G's protocol): %f, or %p
// ("pg_wal/NAME", run in the data directory). Any other directory would silently mean another
// file, so it is refused.
std::string WalPushName(const std::string& path_text) {
  std::filesystem::path path(path_text);
  std::string name = path.filename().string();
  std::filesystem::path parent = path.parent_path();
  if (name.empty() || (!parent.empty() && parent.filename() != "pg_wal")) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("wal-push takes a file of pg_wal (%f or %p), not '{}': the daemon "
                            "reads it from $PGDATA/pg_wal by its name",
                            path_text));
  }
  return name;
}

int Run(const std::vector<std::string>& argv) {
  Invocation invocation;
  try {
    invocation = ParseArguments(argv);
  } catch (const Error& e) {
    return UsageError(e.what());
  }
  const bool fetch = invocation.command == "wal-fetch";
  try {
    std::vector<std::string> args = invocation.args;
    if (!fetch) args[0] = WalPushName(args[0]);
    char answer = SendRequest(
        invocation.options,
        EncodeRequest(fetch ? MessageType::kWalFetch : MessageType::kWalPush, args));
    switch (static_cast<MessageType>(answer)) {
      case MessageType::kOk:
        return 0;
      case MessageType::kNotArchived:
        spdlog::info("WAL file {} is not archived (daemon on {})", args[0],
                     invocation.options.socket_path);
        return wal::kExitNotArchived;
      default:
        throw Error(ErrorCode::kProtocol,
                    fmt::format("daemon on {} answered {} to the {} of {}; its log says why",
                                invocation.options.socket_path, DescribeType(answer),
                                invocation.command, args[0]));
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    if (!fetch) return kExitFailure;
    // restore_command runs in the data directory.
    return wal::FailedFetchExitStatus(wal::ReadRecoverySignals(LocalFs::Default(), "."));
  }
}

}  // namespace
}  // namespace walnut::daemon

int main(int argc, char** argv) {
  walnut::InitLogging();
  if (argc > 1 && (std::string_view(argv[1]) == "--version" || std::string_view(argv[1]) == "-version")) {
    std::printf("walnut-daemon-client\n");
    return 0;
  }
  if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::fputs(walnut::daemon::kUsage, stdout);
    return 0;
  }
  return walnut::daemon::Run(std::vector<std::string>(argv + 1, argv + argc));
}
