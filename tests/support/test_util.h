#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/shell_quote.h"
#include "io/reader.h"
#include "io/writer.h"

namespace walnut::testing {

// Runs fn, which must throw walnut::Error, and returns that Error; records a test failure (and
// returns a kInternal Error) when fn throws nothing.
template <class Fn>
Error ExpectError(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no walnut::Error was thrown";
  return Error(ErrorCode::kInternal, "no error thrown");
}

// Deterministic pseudo-random bytes (incompressible).
std::string RandomBytes(size_t size, uint64_t seed = 1);
// Deterministic text-like bytes that compress a few times over (words from a small vocabulary).
std::string CompressibleBytes(size_t size, uint64_t seed = 1);

// Writes `data` to `writer` in random-sized pieces (1 byte up to max_chunk), then Close()s it.
void WriteInRandomChunks(Writer& writer, const std::string& data, size_t max_chunk = 100000,
                         uint64_t seed = 7);
// Reads `reader` to the end in random-sized pieces (1 byte up to max_chunk).
std::string ReadInRandomChunks(Reader& reader, size_t max_chunk = 100000, uint64_t seed = 9);
std::string ReadAll(Reader& reader);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// "<what>-<pid>-<milliseconds>-<n>": a name (a storage prefix, a directory) no other test of this
// run, no other process and no earlier run uses.
std::string UniqueName(std::string_view what);

void WriteFile(const std::filesystem::path& path, const std::string& data);
std::string ReadFile(const std::filesystem::path& path);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};
// Runs `command` through /bin/sh with the extra environment assignments prepended
// ("NAME=value ..."), capturing both output streams. `input` is fed to standard input.
CommandResult RunCommand(const std::string& command, const std::string& input = "");

// The built walnut binary (WALNUT_BINARY, else the one this build made), shell-quoted.
std::string WalnutBinary();
// The project's own (common/shell_quote.h), for the tests that name it testing::ShellQuote.
using walnut::ShellQuote;

}  // namespace walnut::testing
