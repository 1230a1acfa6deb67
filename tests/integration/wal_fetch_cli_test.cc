// wal-fetch as PostgreSQL's restore_command runs it: the built binary against a local directory and
// the s3rver, with objects put in place by `walnut st put` (the same pipeline wal-push uses). The
// contract: the file appears at %p complete and verified or not at all; exit 74 when it is not
// archived, 1 with one ERROR line otherwise; the detached prefetcher fills the prefetch folder and
// the next call is served from it.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "postgres/wal_file_name.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr uint64_t kSystemId = 7300000000000000001;
constexpr int kExitNotArchived = 74;
const char* const kOtherKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

struct Case {
  std::string name;
  bool s3;
  std::string method;
  bool encrypt;
};

int CountPrefixed(const std::vector<std::string>& lines, const std::string& prefix) {
  return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
    return line.rfind(prefix, 0) == 0;
  }));
}

// Waits until `done` holds (polling), up to `limit`.
template <class Fn>
bool WaitFor(Fn done, milliseconds limit = milliseconds(20000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return done();
}

// One archive and one pg_wal directory, driven through the CLI.
class WalFetchCli {
 public:
  WalFetchCli(bool s3, const std::string& method, bool encrypt, uint64_t segment_mib = 1)
      : segment_size_(segment_mib << 20) {
    if (s3) {
      cli_.UseS3Storage("wal-fetch");
    } else {
      cli_.UseFileStorage();
    }
    cli_.Set("WALG_COMPRESSION_METHOD", method);
    cli_.Set("WALG_PG_WAL_SIZE", std::to_string(segment_mib));
    cli_.Set("WALG_DOWNLOAD_FILE_RETRIES", "1");
    if (encrypt) {
      cli_.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
      cli_.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
    }
    pg_wal_ = cli_.work().path() / "pg_wal";
    fs::create_directories(pg_wal_);
  }

  CliRunner& cli() { return cli_; }
  std::string Name(uint64_t segno, pg::TimelineId timeline = 1) const {
    return pg::WalFileName({timeline, segno}, segment_size_);
  }
  std::string Content(uint64_t segno) const {
    return FakeWalSegment({1, segno}, kSystemId, segment_size_);
  }
  // Archives `content` as wal_005/<name> (compressed and encrypted as configured).
  void Archive(const std::string& name, const std::string& content, const std::string& flags = "") {
    fs::path src = cli_.work().path() / "upload";
    WriteFile(src, content);
    auto r = cli_.Run("st put -f " + flags + " " + ShellQuote(src.string()) + " wal_005/" + name);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void ArchiveSegments(uint64_t first, uint64_t last) {
    for (uint64_t segno = first; segno <= last; ++segno) Archive(Name(segno), Content(segno));
  }
  void Remove(const std::string& object) {
    auto r = cli_.Run("st rm wal_005/" + object);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  fs::path destination() const { return pg_wal_ / "RECOVERYXLOG"; }
  fs::path prefetch_dir() const { return pg_wal_ / ".wal-g" / "prefetch"; }
  CommandResult Fetch(const std::string& name, const std::string& extra = "") const {
    return cli_.Run(extra + " wal-fetch " + name + " " + ShellQuote(destination().string()));
  }
  // The files left in pg_wal apart from the prefetch folder: nothing but %p, ever.
  std::vector<std::string> PgWalFiles() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(pg_wal_)) {
      if (entry.path().filename() != ".wal-g") names.push_back(entry.path().filename().string());
    }
    return names;
  }
  // Waits until the prefetcher has put `names` in the folder and finished its downloads.
  bool WaitForPrefetch(const std::vector<std::string>& names) const {
    return WaitFor([&] {
      for (const auto& name : names) {
        if (!fs::exists(prefetch_dir() / name)) return false;
      }
      return fs::exists(prefetch_dir() / "running") && fs::is_empty(prefetch_dir() / "running");
    });
  }

 private:
  CliRunner cli_;
  uint64_t segment_size_;
  fs::path pg_wal_;
};

class WalFetchCliTest : public ::testing::TestWithParam<Case> {
 protected:
  WalFetchCliTest() : w_(GetParam().s3, GetParam().method, GetParam().encrypt) {}
  std::string Object(const std::string& name) const {
    return "wal_005/" + name + ExtensionOf(GetParam().method);
  }
  WalFetchCli w_;
};

TEST_P(WalFetchCliTest, RestoresSegmentsAndHistoryFilesAndExits74ForAbsentOnes) {
  w_.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");  // no prefetch here
  w_.ArchiveSegments(3, 3);
  std::string history = "1\t0/3000000\tno recovery target specified\n";
  w_.Archive("00000002.history", history);

  auto r = w_.Fetch(w_.Name(3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadFile(w_.destination()) == w_.Content(3));
  EXPECT_EQ(CountPrefixed(Lines(r.err), "ERROR: "), 0) << r.err;

  fs::remove(w_.destination());
  r = w_.Fetch("00000002.history");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(w_.destination()), history);

  // Absent files: exit 74, nothing written, and no ERROR (PostgreSQL probes for them).
  fs::remove(w_.destination());
  for (const std::string& absent : {w_.Name(4), std::string("00000003.history")}) {
    r = w_.Fetch(absent);
    EXPECT_EQ(r.exit_code, kExitNotArchived) << absent << ": " << r.err;
    EXPECT_EQ(CountPrefixed(Lines(r.err), "ERROR: "), 0) << r.err;
    EXPECT_NE(r.err.find(absent), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(w_.destination()));
  }
  EXPECT_TRUE(w_.PgWalFiles().empty());
}

TEST_P(WalFetchCliTest, ACorruptObjectFailsWithOneLineAndWritesNothing) {
  w_.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  w_.ArchiveSegments(3, 3);
  // Replace the stored bytes with garbage under the same object name.
  w_.Archive(w_.Name(3) + ExtensionOf(GetParam().method), RandomBytes(300000, 5),
             "--no-compress --no-encrypt");
  auto r = w_.Fetch(w_.Name(3));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, Object(w_.Name(3)));
  EXPECT_TRUE(w_.PgWalFiles().empty());
}

TEST_P(WalFetchCliTest, ATruncatedSegmentFailsWithOneLineAndWritesNothing) {
  w_.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  std::string content = w_.Content(3);
  w_.Archive(w_.Name(3), content.substr(0, content.size() / 2));
  auto r = w_.Fetch(w_.Name(3));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, Object(w_.Name(3)));
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  EXPECT_TRUE(w_.PgWalFiles().empty());
}

TEST_P(WalFetchCliTest, AWrongKeyFailsWithOneLineAndWritesNothing) {
  if (!GetParam().encrypt) GTEST_SKIP() << "not encrypted";
  w_.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  w_.ArchiveSegments(3, 3);
  w_.cli().Set("WALG_LIBSODIUM_KEY", kOtherKeyHex);
  auto r = w_.Fetch(w_.Name(3));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, Object(w_.Name(3)));
  EXPECT_EQ(r.err.find(kOtherKeyHex), std::string::npos) << "the key leaked: " << r.err;
  EXPECT_TRUE(w_.PgWalFiles().empty());
}

TEST_P(WalFetchCliTest, PrefetchFillsTheFolderAndServesTheNextCalls) {
  w_.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "3");
  w_.ArchiveSegments(3, 5);  // 6 is not archived (yet): the prefetcher's miss must be quiet

  auto r = w_.Fetch(w_.Name(3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(w_.WaitForPrefetch({w_.Name(4), w_.Name(5)}));
  EXPECT_FALSE(fs::exists(w_.prefetch_dir() / w_.Name(6)));

  // Served from the folder: the archive no longer has it.
  w_.Remove(w_.Name(4) + ExtensionOf(GetParam().method));
  fs::remove(w_.destination());
  r = w_.Fetch(w_.Name(4));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadFile(w_.destination()) == w_.Content(4));
  EXPECT_FALSE(fs::exists(w_.prefetch_dir() / w_.Name(4)));
  EXPECT_EQ(r.err.find("ERROR"), std::string::npos) << r.err;

  // The prefetcher started by that call cleans what is older than its segment and finds nothing
  // more to fetch; 5 is served from the folder too.
  fs::remove(w_.destination());
  r = w_.Fetch(w_.Name(5));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadFile(w_.destination()) == w_.Content(5));
  EXPECT_EQ(w_.PgWalFiles(), std::vector<std::string>{"RECOVERYXLOG"});
}

TEST_P(WalFetchCliTest, ADamagedPrefetchedFileIsDiscardedAndTheSegmentFetchedFromTheArchive) {
  w_.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "2");
  w_.ArchiveSegments(3, 5);
  ASSERT_EQ(w_.Fetch(w_.Name(3)).exit_code, 0);
  ASSERT_TRUE(w_.WaitForPrefetch({w_.Name(4), w_.Name(5)}));

  // A truncated file and one holding another segment: neither may reach PostgreSQL.
  fs::resize_file(w_.prefetch_dir() / w_.Name(4), 8192);
  WriteFile(w_.prefetch_dir() / w_.Name(5), w_.Content(3));
  for (uint64_t segno : {4, 5}) {
    fs::remove(w_.destination());
    auto r = w_.Fetch(w_.Name(segno));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(ReadFile(w_.destination()) == w_.Content(segno)) << segno;
    EXPECT_EQ(CountPrefixed(Lines(r.err), "WARNING: "), 1) << r.err;
    EXPECT_EQ(r.err.find("ERROR"), std::string::npos) << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Storages, WalFetchCliTest,
                         ::testing::Values(Case{"DirLz4Libsodium", false, "lz4", true},
                                           Case{"DirZstd", false, "zstd", false},
                                           Case{"S3Lz4Libsodium", true, "lz4", true},
                                           Case{"S3Zstd", true, "zstd", false}),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

// Settings given as flags (here the storage itself) reach the detached prefetcher, as in WAL-G.
TEST(WalFetchCliFlagsTest, ThePrefetcherGetsTheSettingFlags) {
  WalFetchCli w(false, "lz4", false);
  w.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "2");
  w.ArchiveSegments(3, 5);
  std::string storage = w.cli().storage_dir();
  w.cli().Unset("WALG_FILE_PREFIX");
  auto r = w.Fetch(w.Name(3), "--walg-file-prefix=" + ShellQuote(storage));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(w.WaitForPrefetch({w.Name(4), w.Name(5)}));
}

TEST(WalFetchCliFlagsTest, NoPrefetchWithDownloadConcurrencyOneNorForHistoryFiles) {
  WalFetchCli w(false, "lz4", false);
  w.ArchiveSegments(3, 4);
  w.Archive("00000002.history", "history");
  ASSERT_EQ(w.Fetch("00000002.history").exit_code, 0);
  w.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  ASSERT_EQ(w.Fetch(w.Name(3)).exit_code, 0);
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_FALSE(fs::exists(w.prefetch_dir()));
}

// What PostgreSQL hears when a fetch fails: in archive recovery (recovery.signal in the directory
// restore_command runs in, the data directory) a status above 125 that stops recovery instead of
// ending it early; with standby.signal, or outside a data directory, 1; "not archived" stays 74.
TEST(WalFetchCliExitTest, AFailureStopsArchiveRecoveryButNotAStandbyNorAManualCall) {
  WalFetchCli w(false, "lz4", false);
  w.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  TempDir data_dir;
  auto fetch_in_data_dir = [&](const std::string& name) {
    return RunCommand(
        "cd " + ShellQuote(data_dir.str()) + " && " +
        w.cli().CommandLine("wal-fetch " + name + " " + ShellQuote(w.destination().string())));
  };
  WriteFile(data_dir.path() / "recovery.signal", "");
  auto absent = fetch_in_data_dir(w.Name(3));
  EXPECT_EQ(absent.exit_code, kExitNotArchived) << absent.err;

  // A storage that refuses every connection, retried for a second.
  w.cli().Unset("WALG_FILE_PREFIX");
  w.cli().Set("WALG_S3_PREFIX", "s3://bucket/archive");
  w.cli().Set("AWS_ENDPOINT", "http://127.0.0.1:" + std::to_string(RefusingPort()));
  w.cli().Set("AWS_ACCESS_KEY_ID", "id");
  w.cli().Set("AWS_SECRET_ACCESS_KEY", "secret");
  w.cli().Set("WALNUT_STORAGE_RETRY_TIMEOUT", "1s");
  auto in_recovery = fetch_in_data_dir(w.Name(3));
  EXPECT_EQ(in_recovery.exit_code, 255) << in_recovery.err;
  ExpectOneErrorLine(in_recovery, "127.0.0.1");
  // The setting reached the storage: the budget ended the retries.
  EXPECT_NE(in_recovery.err.find("WALNUT_STORAGE_RETRY_TIMEOUT=1s)"), std::string::npos)
      << in_recovery.err;
  EXPECT_NE(in_recovery.err.find("stops archive recovery"), std::string::npos) << in_recovery.err;

  WriteFile(data_dir.path() / "standby.signal", "");
  auto in_standby = fetch_in_data_dir(w.Name(3));
  EXPECT_EQ(in_standby.exit_code, 1) << in_standby.err;
  ExpectOneErrorLine(in_standby, "127.0.0.1");

  auto by_hand = w.Fetch(w.Name(3));  // in the test's working directory
  EXPECT_EQ(by_hand.exit_code, 1) << by_hand.err;
  EXPECT_TRUE(w.PgWalFiles().empty());
}

// kill -9 in the middle of a fetch: %p never appears (only a temporary file may stay behind).
TEST(WalFetchCliKillTest, AKilledFetchLeavesNoFileAtTheDestination) {
  WalFetchCli w(false, "zstd", false, 256);  // big enough to be caught mid-way
  w.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  w.ArchiveSegments(3, 3);
  bool killed_midway = false;
  for (int attempt = 0; attempt < 5 && !killed_midway; ++attempt) {
    fs::remove(w.destination());
    std::string command = "exec " + w.cli().CommandLine("wal-fetch " + w.Name(3) + " " +
                                                        ShellQuote(w.destination().string()));
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Kill once the temporary file has some bytes in it.
    WaitFor(
        [&] {
          for (const auto& name : w.PgWalFiles()) {
            std::error_code ec;
            if (name != "RECOVERYXLOG" &&
                fs::file_size(w.destination().parent_path() / name, ec) > 0) {
              return true;
            }
          }
          return false;
        },
        milliseconds(10000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
      killed_midway = true;
      EXPECT_FALSE(fs::exists(w.destination())) << "a partial file reached %p";
    }
  }
  EXPECT_TRUE(killed_midway) << "the fetch always finished before it could be killed";
  // The next call restores the file whole.
  auto r = w.Fetch(w.Name(3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::file_size(w.destination()), uint64_t{256} << 20);
}

// Latency and memory of one 16 MiB segment from a local directory (lz4+libsodium): the direct
// fetch, the prefetch hit, and the prefetcher. Times are printed for the record only (they depend
// on the machine's load); memory is bounded.
TEST(WalFetchCliLatencyTest, DirectFetchAndPrefetchHit) {
  WalFetchCli w(false, "lz4", true, 16);
  w.ArchiveSegments(3, 16);
  auto timed_command = [&](const std::string& args) {
    std::string rss = (w.cli().work().path() / "rss").string();
    auto start = std::chrono::steady_clock::now();
    auto r =
        RunCommand("/usr/bin/time -f %M -o " + ShellQuote(rss) + " " + w.cli().CommandLine(args));
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::make_pair(ms, std::stol(ReadFile(rss)) / 1024);
  };
  auto timed = [&](const std::string& name) {
    fs::remove(w.destination());
    return timed_command("wal-fetch " + name + " " + ShellQuote(w.destination().string()));
  };
  // Direct: WALG_DOWNLOAD_CONCURRENCY=1 so that no prefetcher competes.
  w.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  std::vector<double> direct;
  long direct_rss = 0;
  for (uint64_t segno = 3; segno < 8; ++segno) {
    auto [ms, rss] = timed(w.Name(segno));
    direct.push_back(ms);
    direct_rss = std::max(direct_rss, rss);
  }
  w.cli().Set("WALG_DOWNLOAD_CONCURRENCY", "4");
  std::vector<double> hits;
  long hit_rss = 0;
  timed(w.Name(8));  // starts the prefetcher for 9..12
  for (uint64_t segno = 9; segno < 13; ++segno) {
    ASSERT_TRUE(w.WaitForPrefetch({w.Name(segno)}));
    auto [ms, rss] = timed(w.Name(segno));
    hits.push_back(ms);
    hit_rss = std::max(hit_rss, rss);
  }
  std::sort(direct.begin(), direct.end());
  std::sort(hits.begin(), hits.end());
  std::cout << "[ latency  ] wal-fetch of a 16 MiB segment (lz4+libsodium, directory), process "
               "incl. sh/env/time: direct median "
            << direct[direct.size() / 2] << " ms (RSS " << direct_rss
            << " MiB), prefetch hit median " << hits[hits.size() / 2] << " ms (RSS " << hit_rss
            << " MiB)\n";
  // The prefetcher itself, in the foreground and into a folder of its own: 13..16 at once.
  fs::path other = w.cli().work().path() / "other";
  fs::create_directories(other);
  auto [prefetch_ms, prefetch_rss] = timed_command("wal-prefetch " + w.Name(12) + " " +
                                                   ShellQuote((other / "RECOVERYXLOG").string()));
  std::cout << "[ rss      ] wal-prefetch of 4 segments at once: " << prefetch_ms << " ms, RSS "
            << prefetch_rss << " MiB\n";
  EXPECT_TRUE(fs::exists(other / ".wal-g" / "prefetch" / w.Name(16)));
  EXPECT_LT(direct_rss, 64);
  EXPECT_LT(hit_rss, 32);
  EXPECT_LT(prefetch_rss, 128);
}

}  // namespace
}  // namespace walnut::testing
