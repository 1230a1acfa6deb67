// `st put -s/--read-stdin` (WAL-G's flag): standard input streamed into an object, compressed and
// encrypted like any put, in bounded memory; interrupted, it stores nothing.

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

void UseEncryption(CliRunner& cli) {
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
}

// Every file under `dir` (hidden temporaries too), relative to it.
std::set<std::string> FilesUnder(const fs::path& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

void MakeRandomFile(const fs::path& path, size_t mib) {
  ASSERT_EQ(std::system(("head -c " + std::to_string(mib << 20) + " /dev/urandom > " +
                         ShellQuote(path.string()))
                            .c_str()),
            0);
}

// Pipes `file` into the command through cat, so standard input is a pipe, not a file; returns
// the result and the peak RSS in MiB.
CommandResult PipeInto(const CliRunner& cli, const fs::path& file, const std::string& args,
                       long* peak_mib) {
  fs::path rss = cli.work().path() / "rss";
  CommandResult r = RunCommand("cat " + ShellQuote(file.string()) + " | /usr/bin/time -f %M -o " +
                               ShellQuote(rss.string()) + " " + cli.CommandLine(args));
  std::vector<std::string> lines = Lines(ReadFile(rss));
  *peak_mib = lines.empty() ? -1 : std::stol(lines.back()) / 1024;
  return r;
}

TEST(StPutStdinTest, StreamsAPipeInBoundedMemoryCompressedAndEncrypted) {
  CliRunner cli;
  cli.UseFileStorage();
  UseEncryption(cli);
  fs::path src = cli.work().path() / "src.bin";
  MakeRandomFile(src, 128);

  long peak_mib = 0;
  auto put = PipeInto(cli, src, "st put --read-stdin dump/all.bin", &peak_mib);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  std::printf(
      "[ measure ] st put -s of 128 MiB from a pipe (lz4 + libsodium, directory): peak "
      "RSS %ld MiB\n",
      peak_mib);
  EXPECT_GT(peak_mib, 0);
  EXPECT_LT(peak_mib, 48) << "memory must not grow with the input";

  fs::path stored = fs::path(cli.storage_dir()) / "dump/all.bin.lz4";
  ASSERT_TRUE(fs::exists(stored));
  EXPECT_NE(ReadFile(stored).substr(0, 4096), ReadFile(src).substr(0, 4096));  // encrypted
  fs::path back = cli.work().path() / "back.bin";
  auto get = cli.Run("st get dump/all.bin.lz4 " + ShellQuote(back.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(
      std::system(("cmp -s " + ShellQuote(src.string()) + " " + ShellQuote(back.string())).c_str()),
      0);
}

TEST(StPutStdinTest, ShortFlagToS3) {
  CliRunner cli;
  cli.UseS3Storage("put-stdin");
  cli.Set("WALG_COMPRESSION_METHOD", "zstd");
  UseEncryption(cli);
  fs::path src = cli.work().path() / "src.bin";
  MakeRandomFile(src, 20);  // several multipart parts of unknown total size
  long peak_mib = 0;
  auto put = PipeInto(cli, src, "st put -s piped", &peak_mib);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  fs::path back = cli.work().path() / "back.bin";
  auto get = cli.Run("st get piped.zst " + ShellQuote(back.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ReadFile(back), ReadFile(src));
  EXPECT_EQ(cli.Run("st rm piped.zst").exit_code, 0);
}

TEST(StPutStdinTest, ArgumentsFollowWalG) {
  CliRunner cli;
  cli.UseFileStorage();
  auto two = cli.Run("st put -s a b", "x");
  EXPECT_EQ(two.exit_code, 2);
  ExpectOneErrorLine(two, "--read-stdin takes one argument");
  auto one = cli.Run("st put a");
  EXPECT_EQ(one.exit_code, 2);
  ExpectOneErrorLine(one, "needs a local path and a destination path");
  EXPECT_EQ(FilesUnder(cli.storage_dir()), std::set<std::string>{});

  auto empty = cli.Run("st put -s --no-compress empty", "");
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(ReadFile(fs::path(cli.storage_dir()) / "empty"), "");
  auto dash = cli.Run("st put --no-compress - dash", "from stdin");  // the older spelling
  ASSERT_EQ(dash.exit_code, 0) << dash.err;
  EXPECT_EQ(ReadFile(fs::path(cli.storage_dir()) / "dash"), "from stdin");
  auto exists = cli.Run("st put -s --no-compress dash", "again");
  EXPECT_EQ(exists.exit_code, 1);
  ExpectOneErrorLine(exists, "already exists");
  auto force = cli.Run("st put -s -f --no-compress dash", "again");
  ASSERT_EQ(force.exit_code, 0) << force.err;
  EXPECT_EQ(ReadFile(fs::path(cli.storage_dir()) / "dash"), "again");
}

// The writer side stays open (an idle producer) and st put gets `signal`; or the producer ends
// right after st put was signalled (both in one process group, as Ctrl-C does), so st put sees
// the end of its input after the signal.
CommandResult InterruptedPut(const CliRunner& cli, const std::string& signal, bool then_eof) {
  fs::path fifo = cli.work().path() / "fifo";
  std::string f = ShellQuote(fifo.string());
  return RunCommand("mkfifo " + f + "; " + cli.CommandLine("st put -s obj") + " < " + f +
                    " & pid=$!; exec 3>" + f + "; head -c 3000000 /dev/urandom >&3; sleep 1; " +
                    "kill -" + signal + " $pid; " + (then_eof ? "exec 3>&-; " : "sleep 0.5; ") +
                    "wait $pid; rc=$?; exec 3>&-; exit $rc");
}

TEST(StPutStdinTest, ASignalWhileReadingStoresNothing) {
  for (const char* signal : {"TERM", "INT", "HUP"}) {
    for (bool then_eof : {false, true}) {
      CliRunner cli;
      cli.UseFileStorage();
      auto r = InterruptedPut(cli, signal, then_eof);
      EXPECT_EQ(r.exit_code, 1) << signal << " " << then_eof << ": " << r.err;
      ExpectOneErrorLine(r, {"interrupted", "nothing was stored at obj.lz4"});
      // Neither the object nor a temporary file is left behind.
      EXPECT_EQ(FilesUnder(cli.storage_dir()), std::set<std::string>{}) << signal;
    }
  }
}

TEST(StPutStdinTest, ASignalToS3StoresNothing) {
  CliRunner cli;
  cli.UseS3Storage("put-stdin-int");
  auto r = InterruptedPut(cli, "TERM", false);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, "interrupted");
  auto ls = cli.Run("st ls -r");
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out.find("obj"), std::string::npos) << ls.out;
}

}  // namespace
}  // namespace walnut::testing
