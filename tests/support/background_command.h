#pragma once

#include <string>

#include <sys/types.h>

#include "support/test_util.h"

namespace walnut::testing {

// A shell command run as PgRunUser() in the background, to be killed at a chosen moment: the
// shell writes its pid and execs the command, so that pid is the command's own (not the shell's
// or runuser's). Its output goes to files, read by Wait().
class BackgroundCommand {
 public:
  // `command` must be something sh can exec ("env A=b /path/walnut ...", no shell syntax).
  explicit BackgroundCommand(const std::string& command);
  // Kills and reaps the command if the test did not.
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  // The command's pid once the shell has written it (throws after 10 s).
  pid_t Pid();
  // SIGKILL to the command. Returns false when it had already exited (and was reaped).
  bool Kill();
  // Waits for the command and returns its exit status (as the shell reports it: 128 + signal
  // for a signal) and output.
  CommandResult Wait();

 private:
  TempDir dir_;  // pid, stdout and stderr
  pid_t child_ = -1;
  pid_t pid_ = 0;
  bool waited_ = false;
  CommandResult result_;
};

}  // namespace walnut::testing
