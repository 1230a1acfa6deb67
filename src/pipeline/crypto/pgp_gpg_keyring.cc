#include "pipeline/crypto/pgp_gpg_keyring.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"

extern char** environ;

namespace walnut {
namespace {

// A keyring export is small; anything beyond this is not one.
constexpr size_t kMaxOutput = 16 << 20;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct GpgResult {
  int exit_code = -1;
  SecretString out;
  std::string err;
};

[[noreturn]] void ThrowGpg(std::string_view setting, std::string_view problem) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{}: {}; export the key to a file and set WALG_PGP_KEY_PATH instead, or "
                          "fix the gpg keyring",
                          setting, problem));
}

// Runs gpg with `args`, `input` on its standard input; returns its output and status.
GpgResult RunGpg(const std::vector<std::string>& args, const std::string& input,
                 std::string_view setting) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) ThrowGpg(setting, std::strerror(errno));
  Fd in_read{in_pipe[0]}, in_write{in_pipe[1]};
  if (pipe2(out_pipe, O_CLOEXEC) != 0) ThrowGpg(setting, std::strerror(errno));
  Fd out_read{out_pipe[0]}, out_write{out_pipe[1]};
  if (pipe2(err_pipe, O_CLOEXEC) != 0) ThrowGpg(setting, std::strerror(errno));
  Fd err_read{err_pipe[0]}, err_write{err_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, STDERR_FILENO);
  std::vector<std::string> argv_storage = {"gpg"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "gpg", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ThrowGpg(setting,
             fmt::format("cannot run gpg: {} (install the Debian package gpg)", std::strerror(rc)));
  }
  ::close(in_read.fd);
  in_read.fd = -1;
  ::close(out_write.fd);
  out_write.fd = -1;
  ::close(err_write.fd);
  err_write.fd = -1;

  // The input (a passphrase line at most) fits the pipe: write it all, then read both outputs.
  size_t written = 0;
  while (written < input.size()) {
    ssize_t n = ::write(in_write.fd, input.data() + written, input.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::close(in_write.fd);
  in_write.fd = -1;

  std::string out, err;
  char buffer[65536];
  pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& target = i == 0 ? out : err;
      if (target.size() < kMaxOutput) target.append(buffer, static_cast<size_t>(n));
    }
  }
  std::memset(buffer, 0, sizeof buffer);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  GpgResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = SecretString(std::move(out));
  result.err = std::move(err);
  return result;
}

// gpg's first line of explanation, without its "gpg: " prefix.
std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.starts_with("gpg: ")) line.erase(0, 5);
  return line.empty() ? std::string("no explanation") : line;
}

SecretString Export(const std::vector<std::string>& args, const std::string& input,
                    const std::string& key_id, std::string_view what, std::string_view setting) {
  GpgResult r = RunGpg(args, input, setting);
  if (r.exit_code != 0 || r.out.empty()) {
    ThrowGpg(setting, fmt::format("gpg exported no {} for key {} (exit {}: {})", what, key_id,
                                  r.exit_code, FirstLine(r.err)));
  }
  return std::move(r.out);
}

}  // namespace

std::string ExportGpgPublicKeys(const std::string& key_id, std::string_view setting) {
  return Export({"--batch", "--armor", "--export", "--", key_id}, "", key_id, "public key", setting)
      .Reveal();
}

SecretString ExportGpgSecretKeys(const std::string& key_id,
                                 const std::optional<SecretString>& passphrase,
                                 std::string_view setting) {
  if (!passphrase) {
    return Export({"--batch", "--armor", "--export-secret-keys", "--", key_id}, "", key_id,
                  "secret key", setting);
  }
  SecretString input(passphrase->Reveal() + "\n");
  return Export({"--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--armor",
                 "--export-secret-keys", "--", key_id},
                input.Reveal(), key_id, "secret key", setting);
}

}  // namespace walnut
