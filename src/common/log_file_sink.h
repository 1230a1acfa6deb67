#pragma once

#include <memory>
#include <string>

#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

#include "common/mutex.h"

namespace walnut {

// WALG_LOG_DESTINATION's file: shared by concurrent processes and rotated by logrotate.
// - Opened O_WRONLY | O_APPEND | O_CREAT, mode 0640 (before the umask) when created: every
//   process appends at the end, whoever else writes.
// - Each line is one write(2), so the lines of processes writing at once (PostgreSQL running
//   several wal-push) interleave whole, never mixed within a line.
// - After RequestLogReopen() (SIGHUP, see ReopenLogFilesOnSighup), the next line first reopens the
//   path: once logrotate has renamed the file (and maybe created a new one), lines go to the file
//   now at the path. If the reopen fails, the sink says so once on standard error and keeps
//   writing to the file it has.
// Thread-safe (one Mutex around formatting and writing, as spdlog's base_sink).
class LogFileSink final : public spdlog::sinks::sink {
 public:
  // Throws kInvalidArgument naming WALG_LOG_DESTINATION when `path` cannot be opened.
  explicit LogFileSink(std::string path);
  ~LogFileSink() override;
  LogFileSink(const LogFileSink&) = delete;
  LogFileSink& operator=(const LogFileSink&) = delete;

  const std::string& path() const { return path_; }
  // The descriptor written to (changes on reopen; for comparing with standard error).
  int fd() const { return fd_; }

 void log(const spdlog::details::log_msg& msg) override EXCLUDES(mu_);
  void flush() override {}  // every line is written at once; there is no buffer
  void set_pattern(const std::string& pattern) override EXCLUDES(mu_);
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override EXCLUDES(mu_);

 private:
  void ReopenIfRequested() REQUIRES(mu_);

  const std::string path_;
  Mutex mu_;
  std::unique_ptr<spdlog::formatter> formatter_ GUARDED_BY(mu_);
  int fd_;  // written only under mu_; fd() reads it for tests, single-threaded
  unsigned handled_requests_ GUARDED_BY(mu_);  // the reopen request count this sink last acted on
  bool write_failure_reported_ GUARDED_BY(mu_) = false;
};

// Asks every LogFileSink to reopen its file before its next line. Async-signal-safe: it only
// increments a lock-free atomic counter.
void RequestLogReopen() noexcept;

// Makes SIGHUP call RequestLogReopen() instead of ending the process (SA_RESTART: system calls a
// signal interrupts resume). Idempotent.
void ReopenLogFilesOnSighup();

// True once ReopenLogFilesOnSighup() ran: SIGHUP then belongs to the log file, and commands must
// not also treat it as a request to stop.
bool SighupReopensLogFiles();

}  // namespace walnut
