#include "common/log_file_sink.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <unistd.h>

#include "common/error.h"

namespace walnut {
namespace {

static_assert(std::atomic<unsigned>::is_always_lock_free, "a signal handler increments it");
std::atomic<unsigned> g_reopen_requests{0};
std::atomic<bool> g_sighup_installed{false};

extern "C" void OnSighup(int /*signal*/) { RequestLogReopen(); }

int OpenForAppending(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Writes the whole buffer; false on an error other than EINTR.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// For the sink's own trouble: the log file is the thing that failed, so standard error it is.
void TellStderr(const std::string& line) {
  std::string text = "WARNING: " + line + "\n";
  WriteAll(STDERR_FILENO, text.data(), text.size());
}

}  // namespace

LogFileSink::LogFileSink(std::string path)
    : path_(std::move(path)),
      formatter_(std::make_unique<spdlog::pattern_formatter>()),
      fd_(OpenForAppending(path_)),
      handled_requests_(g_reopen_requests) {
  if (fd_ < 0) {
    int err = errno;
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("WALG_LOG_DESTINATION: cannot open {} for appending: {}; give a file "
                            "this user can write (its directory must exist), or stderr",
                            path_, std::strerror(err)));
  }
}

LogFileSink::~LogFileSink() { ::close(fd_); }

void LogFileSink::ReopenIfRequested() {
  unsigned requests = g_reopen_requests.load();
  if (requests == handled_requests_) return;
  handled_requests_ = requests;
  int fd = OpenForAppending(path_);
  if (fd < 0) {
    int err = errno;
    TellStderr(
        fmt::format("WALG_LOG_DESTINATION: cannot reopen {} after SIGHUP: {}; still "
                    "writing to the file opened before",
                    path_, std::strerror(err)));
    return;
  }
  ::close(fd_);
  fd_ = fd;
}

void LogFileSink::set_pattern(const std::string& pattern) {
  MutexLock lock(mu_);
  formatter_ = std::make_unique<spdlog::pattern_formatter>(pattern);
}

void LogFileSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  MutexLock lock(mu_);
  formatter_ = std::move(formatter);
}

void LogFileSink::log(const spdlog::details::log_msg& msg) {
  MutexLock lock(mu_);
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  ReopenIfRequested();
  if (!WriteAll(fd_, line.data(), line.size()) && !write_failure_reported_) {
    int err = errno;
    write_failure_reported_ = true;
    TellStderr(fmt::format("WALG_LOG_DESTINATION: cannot write {}: {}; log lines are lost", path_,
                           std::strerror(err)));
  }
}

void RequestLogReopen() noexcept { g_reopen_requests.fetch_add(1); }

void ReopenLogFilesOnSighup() {
  if (g_sighup_installed.exchange(true)) return;
  struct sigaction action {};
  action.sa_handler = OnSighup;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGHUP, &action, nullptr);
}

bool SighupReopensLogFiles() { return g_sighup_installed.load(); }

}  // namespace walnut
