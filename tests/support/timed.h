#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/test_util.h"

// How long a failure took and whether it is one line: for the tests that a backend fails in time
// with one clear line (sftp_*_test.cc, gcs_*_test.cc).

namespace walnut::testing {

// Runs fn, which must throw walnut::Error, and returns the error and how long it took.
inline std::pair<Error, std::chrono::milliseconds> TimedError(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError(fn);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return {e, took};
}

// One line, not empty.
inline void ExpectOneLine(const Error& e) {
  std::string message = e.what();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_FALSE(message.empty());
}

// Runs the binary with `args` and returns the result with how long it took.
inline std::pair<CommandResult, std::chrono::milliseconds> TimedRun(const CliRunner& cli,
                                                                    const std::string& args) {
  auto start = std::chrono::steady_clock::now();
  CommandResult r = cli.Run(args);
  return {r, std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)};
}

// A failing command: a non-zero exit, one ERROR line naming each of `must_contain`, within 30 s.
// Returns the result for further checks (no secret printed, ...).
inline CommandResult ExpectFailsInOneLineInTime(
    const CliRunner& cli, const std::string& args,
    std::initializer_list<std::string_view> must_contain) {
  auto [r, took] = TimedRun(cli, args);
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, must_contain);
  EXPECT_LT(took, std::chrono::seconds(30));
  return r;
}

}  // namespace walnut::testing
