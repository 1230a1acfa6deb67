#include "support/background_command.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/pg_cluster.h"

namespace walnut::testing {

BackgroundCommand::BackgroundCommand(const std::string& command) {
  GrantToPgRunUser(dir_.path());
  // exec: no shell waits for the command to report its death by a signal.
  const std::string shell_command =
      "exec " +
      AsPgRunUser("echo $$ > " + ShellQuote((dir_.path() / "pid").string()) + " && exec " +
                  command + " >" + ShellQuote((dir_.path() / "out").string()) + " 2>" +
                  ShellQuote((dir_.path() / "err").string())) +
      " 2>/dev/null";  // runuser's own "Killed"
  child_ = ::fork();
  if (child_ < 0) throw std::runtime_error("fork failed");
  if (child_ == 0) {
    ::execl("/bin/sh", "sh", "-c", shell_command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

BackgroundCommand::~BackgroundCommand() {
  if (waited_ || child_ < 0) return;
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(child_, &status, 0);
}

pid_t BackgroundCommand::Pid() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const auto file = dir_.path() / "pid";
  while (pid_ == 0) {
    std::error_code ec;
    if (std::filesystem::file_size(file, ec) > 0 && !ec) {
      std::string text = ReadFile(file);
      if (text.find('\n') != std::string::npos) pid_ = static_cast<pid_t>(std::atoi(text.c_str()));
    }
    if (pid_ == 0 && std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the background command did not start in 10 s");
    }
    if (pid_ == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return pid_;
}

bool BackgroundCommand::Kill() {
  if (waited_) return false;
  return ::kill(Pid(), SIGKILL) == 0;
}

CommandResult BackgroundCommand::Wait() {
  if (waited_) return result_;
  int status = 0;
  ::waitpid(child_, &status, 0);
  waited_ = true;
  result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::error_code ec;
  if (std::filesystem::exists(dir_.path() / "out", ec)) result_.out = ReadFile(dir_.path() / "out");
  if (std::filesystem::exists(dir_.path() / "err", ec)) result_.err = ReadFile(dir_.path() / "err");
  return result_;
}

}  // namespace walnut::testing
