#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace walnut {

// Sets up the process-wide logger in WAL-G's line format
// "INFO: 2025/01/01 00:00:00.000000 message" (levels DEBUG, INFO, WARNING, ERROR), so that log
// scrapers written for WAL-G keep working. Call from main(); spdlog::info() etc. then log.
// `level` is WALG_LOG_LEVEL: "NORMAL" (info and up), "DEVEL" (debug), "ERROR" (errors only).
// `destination` is WALG_LOG_DESTINATION: "" or "stderr" (as WAL-G) for standard error; otherwise
// a file every line is appended to (LogFileSink: created 0640, reopened on SIGHUP for logrotate).
// With a file, ERROR lines go to standard error as well (unless it is that same file): a failing
// command still says why where its caller looks (PostgreSQL puts archive_command's and
// restore_command's standard error into the server log), while the file keeps the whole story.
// Throws kInvalidArgument naming WALG_LOG_DESTINATION when the file cannot be opened; the
// previous logger then stays in place.
void InitLogging(std::string_view level = "NORMAL", std::string_view destination = "");

}  // namespace walnut
