#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace walnut::drill {

// The OS user that runs PostgreSQL and its tools: looked up once, in the parent (nothing after
// fork() may read /etc/passwd or /etc/group).
struct OsUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  // Whether the children must switch to this user (we run as root).
  bool switch_to = false;
};

// `name` when running as root (throws kInvalidArgument naming --os-user when it does not
// exist); the current user otherwise (PostgreSQL runs as whoever runs the drill).
OsUser LookUpOsUser(const std::string& name);

// What to run: an absolute program path and its arguments, with exactly `environment`
// ("NAME=value"), as `user`, in a process group of its own (a terminal's Ctrl-C reaches only the
// drill, which stops its children itself). With `die_with_parent`, the kernel sends SIGQUIT
// (PostgreSQL's immediate shutdown) to the child if the drill dies without cleaning up.
struct ProcessSpec {
  std::vector<std::string> argv;
  std::vector<std::string> environment;
  const OsUser* user = nullptr;
  int stdin_fd = -1;   // -1: /dev/null
  int stdout_fd = -1;  // -1: captured (the last kCapturedBytes bytes, with standard error)
  int stderr_fd = -1;  // -1: as stdout
  bool die_with_parent = false;
};

inline constexpr size_t kCapturedBytes = 16 * 1024;

// A started child. The destructor kills it (SIGKILL) and reaps it if it still runs.
class ChildProcess {
 public:
  explicit ChildProcess(const ProcessSpec& spec);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reaps the child if it exited; true once it has.
  bool Exited();
  // The exit status (128 + signal for a signal); REQUIRES: Exited().
  int exit_code() const { return exit_code_; }
  void Signal(int signal) const;
  // Reads what the child wrote to the captured pipe so far, without blocking longer than `wait`.
  void Drain(std::chrono::milliseconds wait);
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int pipe_fd_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string output_;
};

// Why Run() or a wait stopped early.
enum class Interruption { kNone, kDeadline, kStopRequested };

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // captured output (bounded), for error lines
  Interruption interruption = Interruption::kNone;
};

// Runs `spec` to completion, killing the child (SIGTERM, then SIGKILL after 5 s) when `deadline`
// passes or `*stop` becomes true.
ProcessResult RunProcess(const ProcessSpec& spec, std::chrono::steady_clock::time_point deadline,
                         const std::atomic<bool>* stop);

}  // namespace walnut::drill
