#include "drill/child_process.h"

#include <cerrno>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"

namespace walnut::drill {

OsUser LookUpOsUser(const std::string& name) {
  OsUser user;
  const bool root = ::geteuid() == 0;
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  int err = root ? ::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found)
                 : ::getpwuid_r(::geteuid(), &pw, buffer.data(), buffer.size(), &found);
  if (found == nullptr) {
    throw Error(ErrorCode::kInvalidArgument,
                root ? fmt::format("--os-user '{}': no such user{}; give the user that runs "
                                   "PostgreSQL (the postgresql packages create 'postgres')",
                                   name, err != 0 ? fmt::format(" ({})", ::strerror(err)) : "")
                     : "cannot look up the current user in the password database");
  }
  user.name = pw.pw_name;
  user.uid = pw.pw_uid;
  user.gid = pw.pw_gid;
  user.switch_to = root && pw.pw_uid != 0;
  if (root && pw.pw_uid == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "--os-user root: PostgreSQL refuses to run as root; give an unprivileged user "
                "(e.g. postgres)");
  }
  int count = 64;
  user.groups.resize(count);
  if (::getgrouplist(pw.pw_name, pw.pw_gid, user.groups.data(), &count) < 0) {
    user.groups.resize(count);
    ::getgrouplist(pw.pw_name, pw.pw_gid, user.groups.data(), &count);
  }
  user.groups.resize(count);
  return user;
}

namespace {

// Only async-signal-safe calls between fork() and exec: everything is prepared by the parent.
[[noreturn]] void ExecChild(const ProcessSpec& spec, char* const* argv, char* const* envp,
                            int pipe_write) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(sig, SIG_DFL);
  int null_fd = ::open("/dev/null", O_RDWR);
  int in = spec.stdin_fd >= 0 ? spec.stdin_fd : null_fd;
  int out = spec.stdout_fd >= 0 ? spec.stdout_fd : pipe_write;
  int err = spec.stderr_fd >= 0 ? spec.stderr_fd : out;
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
  if (spec.user != nullptr && spec.user->switch_to) {
    if (::setgroups(spec.user->groups.size(), spec.user->groups.data()) != 0 ||
        ::setgid(spec.user->gid) != 0 || ::setuid(spec.user->uid) != 0) {
      ::_exit(126);
    }
  }
  // After the user switch, which clears it.
  if (spec.die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

}  // namespace

ChildProcess::ChildProcess(const ProcessSpec& spec) {
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int fds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowSystemError("create a pipe for", spec.argv[0]);
  pid_ = ::fork();
  if (pid_ < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    ThrowSystemError("start", spec.argv[0], err);
  }
  if (pid_ == 0) ExecChild(spec, argv.data(), envp.data(), fds[1]);
  ::close(fds[1]);
  pipe_fd_ = fds[0];
  ::fcntl(pipe_fd_, F_SETFL, O_NONBLOCK);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !Exited()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (pipe_fd_ >= 0) ::close(pipe_fd_);
}

bool ChildProcess::Exited() {
  if (exited_) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else if (r < 0 && errno == ECHILD) {
    exited_ = true;
  }
  return exited_;
}

void ChildProcess::Signal(int signal) const {
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

void ChildProcess::Drain(std::chrono::milliseconds wait) {
  if (pipe_fd_ < 0) {
    std::this_thread::sleep_for(wait);
    return;
  }
  struct pollfd p = {pipe_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(pipe_fd_, buffer, sizeof(buffer));
    if (n > 0) {
      output_.append(buffer, static_cast<size_t>(n));
      if (output_.size() > kCapturedBytes) output_.erase(0, output_.size() - kCapturedBytes);
      continue;
    }
    if (n == 0) {  // every writer closed it
      ::close(pipe_fd_);
      pipe_fd_ = -1;
      if (!exited_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return;
  }
}

ProcessResult RunProcess(const ProcessSpec& spec, std::chrono::steady_clock::time_point deadline,
                         const std::atomic<bool>* stop) {
  ChildProcess child(spec);
  ProcessResult result;
  while (!child.Exited()) {
    child.Drain(std::chrono::milliseconds(100));
    if (result.interruption != Interruption::kNone) continue;
    if (std::chrono::steady_clock::now() >= deadline) {
      result.interruption = Interruption::kDeadline;
    } else if (stop != nullptr && stop->load()) {
      result.interruption = Interruption::kStopRequested;
    }
    if (result.interruption != Interruption::kNone) {
      child.Signal(SIGTERM);
      auto kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!child.Exited() && std::chrono::steady_clock::now() < kill_at) {
        child.Drain(std::chrono::milliseconds(50));
      }
      if (!child.Exited()) child.Signal(SIGKILL);
    }
  }
  child.Drain(std::chrono::milliseconds(0));
  result.exit_code = child.exit_code();
  result.output = child.output();
  return result;
}

}  // namespace walnut::drill
