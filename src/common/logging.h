#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace walnut {

// Sets up the process-wide logger: stderr, WAL-G's line format
// "INFO: 2025/01/01 00:00:00.000000 message" (levels DEBUG, INFO, WARNING, ERROR), so that log
// scrapers written for WAL-G keep working. Call once from main(); spdlog::info() etc. then log.
// `level` is WALG_LOG_LEVEL: "NORMAL" (info and up), "DEVEL" (debug), "ERROR" (errors only).
void InitLogging(std::string_view level = "NORMAL");

}  // namespace walnut
