// Failover storages (WALG_FAILOVER_STORAGES) through the binary: wal-push goes to the first live
// storage, wal-fetch, backup-list and st read all of them, --target-storage and st -t pick one,
// and losing the primary in the middle of a burst of wal-push loses no WAL.

#include <atomic>
#include <iostream>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "postgres/wal_file_name.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/fault_proxy.h"
#include "support/test_util.h"
#include "support/wal_segments.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSystemId = 7'311'222'333'444'555'777ull;
constexpr uint64_t kSegmentSize = 1u << 20;

std::string SegmentName(uint64_t segno) { return pg::WalFileName({1, segno}, kSegmentSize); }

std::string FailoverJson(const std::string& name, const std::string& dir) {
  return fmt::format(R"({{"{}": {{"WALG_FILE_PREFIX": "{}"}}}})", name, dir);
}

// A fake cluster whose archive is a primary storage plus a directory failover storage "spare".
struct Archive {
  CliRunner cli;
  TempDir spare;
  fs::path pg_wal() const { return cli.work().path() / "pg_wal"; }
  fs::path cache() const { return cli.work().path() / "status-cache.json"; }

  void UseSpare() {
    cli.Set("WALG_FAILOVER_STORAGES", FailoverJson("Spare", spare.str()));
    cli.Set("WALNUT_FAILOVER_STATUS_CACHE", cache().string());
    cli.Set("WALG_PG_WAL_SIZE", "1");
    cli.Set("PGDATA", cli.work().path().string());
  }
  fs::path Segment(uint64_t segno) const {
    return WriteFakeWalSegment(pg_wal(), {1, segno}, kSystemId, true, kSegmentSize);
  }
  CommandResult Push(uint64_t segno) const {
    return cli.Run("wal-push " + ShellQuote((pg_wal() / SegmentName(segno)).string()));
  }
  bool InSpare(uint64_t segno) const {
    return fs::exists(spare.path() / "wal_005" / (SegmentName(segno) + ".lz4"));
  }
};

TEST(FailoverCliTest, WalGoesToThePrimaryWhileItIsAliveAndToTheSpareWhenItIsNot) {
  Archive a;
  // The primary directory on a "disk" that can go away: <work>/disk/store.
  const fs::path disk = a.cli.work().path() / "disk";
  const fs::path primary = disk / "store";
  fs::create_directories(primary);
  a.cli.Set("WALG_FILE_PREFIX", primary.string());
  a.UseSpare();
  a.Segment(1);
  auto r = a.Push(1);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(fs::path(primary) / "wal_005" / (SegmentName(1) + ".lz4")));
  EXPECT_FALSE(a.InSpare(1));

  // The primary becomes unusable: the directory it is in is replaced by a file, so nothing can
  // be listed or written there (as a disk that went away). Its "alive" status is still cached, so
  // the next wal-push meets the failure itself; it may fail once (as PostgreSQL's archiver sees
  // it, which runs it again), never lose the segment.
  fs::rename(disk, disk.string() + ".gone");
  WriteFile(disk, "not a directory");
  a.Segment(2);
  a.Segment(3);
  int attempts = 0;
  while ((r = a.Push(2)).exit_code != 0) ASSERT_LT(++attempts, 3) << r.err;
  EXPECT_TRUE(a.InSpare(2));
  // Recorded: the next command leaves the primary out from the start.
  EXPECT_NE(ReadFile(a.cache()).find("\"alive\":false"), std::string::npos);
  r = a.Push(3);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(a.InSpare(3));
  EXPECT_NE(r.err.find("using failover storage 'spare'"), std::string::npos) << r.err;

  // The primary is back; its dead status stays until WALG_FAILOVER_STORAGES_CACHE_LIFETIME ends.
  fs::remove(disk);
  fs::rename(disk.string() + ".gone", disk);
  a.Segment(4);
  r = a.Push(4);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(a.InSpare(4));
  a.cli.Set("WALG_FAILOVER_STORAGES_CACHE_LIFETIME", "0s");
  a.Segment(5);
  r = a.Push(5);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(a.InSpare(5));
  EXPECT_TRUE(fs::exists(fs::path(primary) / "wal_005" / (SegmentName(5) + ".lz4")));

  // wal-fetch finds every segment, wherever it is.
  for (uint64_t segno = 1; segno <= 5; ++segno) {
    fs::path out = a.cli.work().path() / ("fetched-" + std::to_string(segno));
    auto f = a.cli.Run("wal-fetch " + SegmentName(segno) + " " + ShellQuote(out.string()));
    ASSERT_EQ(f.exit_code, 0) << f.err;
    EXPECT_TRUE(ReadFile(out) == ReadFile(a.pg_wal() / SegmentName(segno)));
  }
  // Absent from both: "not archived".
  auto f = a.cli.Run("wal-fetch " + SegmentName(9) + " " +
                     ShellQuote((a.cli.work().path() / "nine").string()));
  EXPECT_EQ(f.exit_code, 74) << f.err;

  // st reads the primary alone unless told otherwise.
  auto ls = a.cli.Run("st ls wal_005/");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out.find(SegmentName(2)), std::string::npos) << ls.out;
  ls = a.cli.Run("st ls -t spare wal_005/");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find(SegmentName(2)), std::string::npos) << ls.out;
  EXPECT_EQ(ls.out.find(SegmentName(5)), std::string::npos) << ls.out;
  ls = a.cli.Run("st ls -t all wal_005/");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  for (uint64_t segno = 1; segno <= 5; ++segno) {
    EXPECT_NE(ls.out.find(SegmentName(segno)), std::string::npos) << ls.out;
  }
  // --target-storage: one storage only.
  f = a.cli.Run("wal-fetch --target-storage default " + SegmentName(2) + " " +
                ShellQuote((a.cli.work().path() / "two").string()));
  EXPECT_EQ(f.exit_code, 74) << f.err;
  f = a.cli.Run("wal-fetch --target-storage spare " + SegmentName(2) + " " +
                ShellQuote((a.cli.work().path() / "two").string()));
  EXPECT_EQ(f.exit_code, 0) << f.err;
}

TEST(FailoverCliTest, BackupListSaysWhereEachBackupIs) {
  Archive a;
  a.cli.UseFileStorage();
  a.UseSpare();
  // Two sentinels written straight into each storage, as backup-push leaves them.
  auto put = [&](const std::string& target, const std::string& name) {
    fs::path src = a.cli.work().path() / "sentinel.json";
    WriteFile(src, R"({"LSN": 16777256, "FinishLSN": 16777472})");
    auto r = a.cli.Run(fmt::format("st put -t {} --no-compress --no-encrypt {} "
                                   "basebackups_005/{}_backup_stop_sentinel.json",
                                   target, ShellQuote(src.string()), name));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  put("default", "base_000000010000000000000002");
  put("spare", "base_000000010000000000000004");
  auto list = a.cli.Run("backup-list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::vector<std::string> lines = Lines(list.out);
  ASSERT_EQ(lines.size(), 3u) << list.out;
  EXPECT_NE(lines[0].find("storage_name"), std::string::npos);
  EXPECT_NE(list.out.find("base_000000010000000000000002"), std::string::npos);
  for (const std::string& line : lines) {
    if (line.find("base_000000010000000000000002") != std::string::npos) {
      EXPECT_NE(line.find("default"), std::string::npos) << line;
    }
    if (line.find("base_000000010000000000000004") != std::string::npos) {
      EXPECT_NE(line.find("spare"), std::string::npos) << line;
    }
  }
  auto only = a.cli.Run("backup-list --target-storage spare");
  ASSERT_EQ(only.exit_code, 0) << only.err;
  EXPECT_EQ(only.out.find("base_000000010000000000000002"), std::string::npos) << only.out;
  EXPECT_NE(only.out.find("base_000000010000000000000004"), std::string::npos) << only.out;
}

TEST(FailoverCliTest, BadFailoverSettingsFailWithOneLine) {
  CliRunner cli;
  cli.UseFileStorage();
  cli.Set("WALG_FAILOVER_STORAGES", R"({"default": {"WALG_FILE_PREFIX": "/tmp/x"}})");
  auto r = cli.Run("st ls -t all");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ASSERT_EQ(ErrorLines(r).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("'default' is reserved"), std::string::npos) << r.err;

  cli.Set("WALG_FAILOVER_STORAGES", R"(["not", "a map"])");
  r = cli.Run("backup-list");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("WALG_FAILOVER_STORAGES"), std::string::npos) << r.err;

  // A backend Walnut lacks, as a failover storage.
  cli.Set("WALG_FAILOVER_STORAGES", R"({"swift": {"WALG_SWIFT_PREFIX": "swift://c/p"}})");
  r = cli.Run("backup-list");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("failover storage 'swift'"), std::string::npos) << r.err;

  cli.Set("WALG_FAILOVER_STORAGES", FailoverJson("spare", "/tmp/walnut-failover-spare"));
  r = cli.Run("backup-list --target-storage nosuch");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
}

// The primary is the fixture's s3rver behind a proxy; it dies (every connection refused by
// a reset) in the middle of a burst of wal-push, run as PostgreSQL's archiver runs
// archive_command: again after a failure, in order. Every segment ends up archived in one of
// the storages, and wal-fetch finds each one once the primary is back.
TEST(FailoverCliTest, LosingThePrimaryMidBurstLosesNoWal) {
  Archive a;
  a.cli.UseS3Storage("failover-burst");
  int port = EndpointPort(a.cli.variables().at("AWS_ENDPOINT"));
  // From the connection number `die_from` on, every connection is reset at once: a server that
  // went away.
  std::atomic<int> die_from{1 << 30};
  FaultProxy proxy("127.0.0.1", port, [&die_from](int n, std::string_view) {
    return n >= die_from ? ProxyFault::ResetAfter(0) : ProxyFault::None();
  });
  a.cli.Set("AWS_ENDPOINT", proxy.endpoint());
  a.cli.Set("WALNUT_STORAGE_RETRY_TIMEOUT", "2s");
  a.cli.Set("WALG_FAILOVER_STORAGES_CHECK_TIMEOUT", "5s");
  a.cli.Set("WALG_UPLOAD_CONCURRENCY", "4");
  a.UseSpare();

  // PostgreSQL's archiver: segments become ready four at a time; each wal-push archives its own
  // and uploads the other ready ones ahead; a failed one is run again.
  constexpr uint64_t kSegments = 24;
  int failures = 0;
  for (uint64_t segno = 1; segno <= kSegments; ++segno) {
    if ((segno - 1) % 4 == 0) {
      for (uint64_t s = segno; s < segno + 4; ++s) a.Segment(s);
    }
    // The primary dies a few requests into the third batch's wal-push.
    if (segno == 9) die_from = proxy.connections() + 3;
    int attempts = 0;
    for (;;) {
      auto r = a.Push(segno);
      if (segno == 1) {
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ASSERT_FALSE(a.InSpare(1)) << "the primary was not used while alive: " << r.err;
      }
      if (r.exit_code == 0) break;
      ++failures;
      ASSERT_LT(++attempts, 4) << "segment " << segno << " is never archived: " << r.err;
    }
  }
  EXPECT_GT(proxy.resets(), 0) << "the primary never died: the test proves nothing";
  const bool primary_had_some = !a.InSpare(1);
  EXPECT_TRUE(primary_had_some);

  // Back to life; its "dead" status is forgotten.
  die_from = 1 << 30;
  fs::remove(a.cache());
  uint64_t in_spare = 0;
  for (uint64_t segno = 1; segno <= kSegments; ++segno) {
    if (a.InSpare(segno)) ++in_spare;
    fs::path out = a.cli.work().path() / ("fetched-" + std::to_string(segno));
    auto f = a.cli.Run("wal-fetch " + SegmentName(segno) + " " + ShellQuote(out.string()));
    ASSERT_EQ(f.exit_code, 0) << SegmentName(segno) << ": " << f.err;
    EXPECT_TRUE(ReadFile(out) == ReadFile(a.pg_wal() / SegmentName(segno))) << segno;
  }
  EXPECT_GE(in_spare, kSegments - 12) << "the segments after the primary died are not in the spare";
  std::cerr << "wal-push failures while the primary died: " << failures << ", segments in the spare: "
            << in_spare << "\n";
}

}  // namespace
}  // namespace walnut::testing
