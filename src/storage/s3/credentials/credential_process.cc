#include "storage/s3/credentials/credential_process.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/s3/credentials/credentials_json.h"

extern char** environ;

namespace walnut::s3 {

namespace {

constexpr size_t kMaxOutput = 64 << 10;

// Closes the descriptor on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

CredentialProcessFetcher::CredentialProcessFetcher(std::string command, std::string profile,
                                                   std::chrono::milliseconds timeout)
    : command_(std::move(command)), profile_(std::move(profile)), timeout_(timeout) {}

std::string CredentialProcessFetcher::Describe() const {
  return fmt::format("credential_process of profile {}", profile_);
}

TimedCredentials CredentialProcessFetcher::Fetch() {
  const std::string source = Describe();
  auto fail = [&](std::string problem) -> Error {
    return Error(ErrorCode::kPermissionDenied, fmt::format("{}: {}", source, problem));
  };
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw fail(std::strerror(errno));
  Fd read_end{pipe_fds[0]};
  Fd write_end{pipe_fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.fd, STDOUT_FILENO);
  // A process group of its own: a timeout kills what the shell started too (a `sleep` under it
  // would otherwise outlive it, holding our stderr open).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const char* argv[] = {"/bin/sh", "-c", command_.c_str(), nullptr};
  pid_t pid = 0;
  int err =
      posix_spawn(&pid, "/bin/sh", &actions, &attributes, const_cast<char* const*>(argv), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw fail(fmt::format("cannot start /bin/sh: {}", std::strerror(err)));
  close(write_end.fd);
  write_end.fd = -1;

  // Read stdout until EOF, the size cap or the deadline.
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  bool timed_out = false, too_long = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{read_end.fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[4096];
    ssize_t n = read(read_end.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
    if (output.size() > kMaxOutput) {
      too_long = true;
      break;
    }
  }
  // A command that closed its stdout but keeps running is bounded by the same deadline.
  int status = 0;
  for (;;) {
    if (timed_out || too_long) kill(-pid, SIGKILL);  // the whole group
    pid_t done = waitpid(pid, &status, timed_out || too_long ? 0 : WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (done == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
      } else {
        usleep(10000);
      }
    }
  }
  // The output may hold secrets: wiped afterwards, and never quoted.
  const SecretString secret_output(std::move(output));
  if (timed_out) {
    throw fail(fmt::format("did not finish within {:.1f} s and was killed",
                           static_cast<double>(timeout_.count()) / 1000));
  }
  if (too_long) throw fail("printed more than 64 KiB; expected one JSON credentials document");
  if (WIFSIGNALED(status)) {
    throw fail(fmt::format("was killed by signal {}", WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    throw fail(
        fmt::format("exited with status {}; run it by hand to see why", WEXITSTATUS(status)));
  }
  try {
    return ParseCredentialsJson(secret_output.Reveal(), source,
                                CredentialsJson::kCredentialProcess);
  } catch (const Error& e) {
    throw Error(ErrorCode::kPermissionDenied, e.what());
  }
}

}  // namespace walnut::s3
