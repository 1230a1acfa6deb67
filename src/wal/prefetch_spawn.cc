#include "wal/prefetch_spawn.h"

#include <cctype>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "common/error.h"
#include "config/setting_flags.h"
#include "localfs/local_file_reader.h"

extern char** environ;

namespace walnut::wal {
namespace {

// Linux caps a command line (ARG_MAX) well below this.
constexpr size_t kMaxCommandLine = 4 << 20;

std::vector<std::string> OwnArguments(LocalFs& fs) {
  std::string all;
  try {
    all = ReadSmallFile(fs, "/proc/self/cmdline", kMaxCommandLine);
  } catch (const Error&) {
    // No arguments to pass on: the child still gets the environment's settings.
  }
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    args.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  if (!args.empty()) args.erase(args.begin());  // the program name
  return args;
}

// "WALE_S3_PREFIX" -> "--wale-s3-prefix": the flag spelling ExtractSettingFlags accepts.
std::string FlagName(const std::string& setting) {
  std::string flag = "--";
  for (char c : setting) {
    flag += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return flag;
}

// posix_spawn's attributes and file actions, released on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

std::vector<std::string> InheritedSettingArgs(LocalFs& fs) {
  std::vector<std::string> args = OwnArguments(fs);
  SettingFlags flags = ExtractSettingFlags(args);
  std::vector<std::string> out;
  if (flags.config_path) out.push_back("--config=" + *flags.config_path);
  for (const auto& [setting, value] : flags.values) {
    out.push_back(FlagName(setting) + "=" + value);
  }
  return out;
}

void StartDetached(const std::vector<std::string>& args) {
  static constexpr const char* kSelf = "/proc/self/exe";
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(kSelf));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  SpawnSetup setup;
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);

  pid_t pid = 0;
  if (int err = posix_spawn(&pid, kSelf, &setup.actions, &setup.attr, argv.data(), environ)) {
    throw Error(ErrorCode::kIo, fmt::format("cannot start {} {}: {}", kSelf,
                                            args.empty() ? "" : args.front(), std::strerror(err)));
  }
}

}  // namespace walnut::wal
