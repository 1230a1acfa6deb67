#pragma once

#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

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
// Thread-safe (spdlog's sink mutex).
class LogFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Throws kInvalidArgument naming WALG_LOG_DESTINATION when `path` cannot be opened.
  explicit LogFileSink(std::string path);
  ~LogFileSink() override;
  LogFileSink(const LogFileSink&) = delete;
  LogFileSink& operator=(const LogFileSink&) = delete;

  const std::string& path() const { return path_; }
  // The descriptor written to (changes on reopen; for comparing with standard error).
  int fd() const { return fd_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}  // every line is written at once; there is no buffer

 private:
  void ReopenIfRequested();

  const std::string path_;
  int fd_;
  unsigned handled_requests_;  // the reopen request count this sink last acted on
  bool write_failure_reported_ = false;
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
