#include "common/logging.h"

#include <memory>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log_file_sink.h"

namespace walnut {
namespace {

// Prints the level the way WAL-G's tracelog does ("WARNING", not spdlog's "warning").
class WalgLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view name = "INFO";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        name = "DEBUG";
        break;
      case spdlog::level::warn:
        name = "WARNING";
        break;
      case spdlog::level::err:
      case spdlog::level::critical:
        name = "ERROR";
        break;
      default:
        break;
    }
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<WalgLevelFlag>();
  }
};

bool IsStandardError(int fd) {
  struct stat file {
  }, err{};
  return ::fstat(fd, &file) == 0 && ::fstat(STDERR_FILENO, &err) == 0 &&
         file.st_dev == err.st_dev && file.st_ino == err.st_ino;
}

std::vector<spdlog::sink_ptr> SinksFor(std::string_view destination) {
  auto stderr_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  if (destination.empty() || destination == "stderr") return {stderr_sink};
  auto file = std::make_shared<LogFileSink>(std::string(destination));
  ReopenLogFilesOnSighup();
  if (IsStandardError(file->fd())) return {file};
  stderr_sink->set_level(spdlog::level::err);
  return {file, stderr_sink};
}

}  // namespace

void InitLogging(std::string_view level, std::string_view destination) {
  std::vector<spdlog::sink_ptr> sinks = SinksFor(destination);
  auto logger = std::make_shared<spdlog::logger>("walnut", sinks.begin(), sinks.end());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<WalgLevelFlag>('*').set_pattern("%*: %Y/%m/%d %H:%M:%S.%f %v");
  logger->set_formatter(std::move(formatter));
  if (level == "DEVEL") {
    logger->set_level(spdlog::level::debug);
  } else if (level == "ERROR") {
    logger->set_level(spdlog::level::err);
  } else {
    logger->set_level(spdlog::level::info);
  }
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace walnut
