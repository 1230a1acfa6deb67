// A point-in-time recovery whose storage fails half-way, with a real PostgreSQL 15: wal-fetch must
// not let PostgreSQL take the failure for the end of the archive (it would promote, short of the
// WAL it should have replayed). Recovery stops with FATAL instead, and resumes to the end once the
// storage works again.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/fault_proxy.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

// Whether an HTTP request names a WAL segment of timeline 1 at or after `first` (in a key, or in
// a list prefix).
bool AsksForSegmentFrom(std::string_view request, const std::string& first) {
  for (size_t pos = request.find("00000001"); pos != std::string_view::npos;
       pos = request.find("00000001", pos + 1)) {
    std::string_view name = request.substr(pos, 24);
    if (name.size() == 24 && name.find_first_not_of("0123456789ABCDEF") == std::string_view::npos &&
        name >= first) {
      return true;
    }
  }
  return false;
}

// Waits until the postmaster of `cluster` has exited (its postmaster.pid is gone).
bool WaitForShutdown(const PgCluster& cluster, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!fs::exists(cluster.data_dir() / "postmaster.pid")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// On each S3 server (s3rver; Ceph RGW), the fault proxy in front of it.
class RecoveryStorageFaultTest : public ::testing::TestWithParam<TestStorage> {};

TEST_P(RecoveryStorageFaultTest, AFailingStorageStopsArchiveRecoveryWhichResumesLater) {
  WALNUT_SKIP_UNLESS_AVAILABLE(GetParam());
  WalnutConfig config(GetParam(), "recovery-fault");
  PgCluster source;
  source.InitDb();
  source.Configure({"wal_level = replica", "archive_mode = on",
                    "archive_command = " + ConfQuote(config.ArchiveCommand()),
                    "archive_timeout = 0"});
  source.Start();
  source.Query("CREATE TABLE batches (batch int, filler text)");
  CommandResult backup =
      source.Run(config.CommandLine("backup-push " + ShellQuote(source.data_dir().string())));
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // Six batches after the backup, each in a segment of its own.
  std::vector<std::string> segments;
  for (int batch = 1; batch <= 6; ++batch) {
    source.Query("INSERT INTO batches SELECT " + std::to_string(batch) +
                 ", repeat('x', 100) FROM generate_series(1, 1000)");
    segments.push_back(source.SwitchWal());
  }
  source.WaitForArchived(segments.back(), 60);
  source.Stop();

  // The storage, through a proxy that resets every connection asking for batch 4's segment or a
  // later one while `down`.
  const std::string failing = segments[3];
  std::atomic<bool> down{true};
  FaultProxy proxy("127.0.0.1", EndpointPort(config.Setting("AWS_ENDPOINT")),
                   [&](int, std::string_view request) {
                     return down && AsksForSegmentFrom(request, failing) ? ProxyFault::ResetAfter(0)
                                                                         : ProxyFault::None();
                   });
  config.Set("AWS_ENDPOINT", proxy.endpoint());
  config.Set("WALNUT_STORAGE_RETRY_TIMEOUT", "2s");
  config.Set("WALG_DOWNLOAD_CONCURRENCY", "1");  // no prefetcher: each segment, one wal-fetch

  PgCluster restored;
  CommandResult fetch =
      config.Run("backup-fetch " + ShellQuote(restored.data_dir().string()) + " LATEST");
  ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
  restored.Configure(
      {"archive_mode = off", "restore_command = " + ConfQuote(config.RestoreCommand())});
  restored.SignalRecovery();
  try {
    // With hot standby the server may report started once consistent, before it fails.
    restored.Start();
  } catch (const std::exception&) {
    // It stopped during start-up: checked below.
  }
  ASSERT_TRUE(WaitForShutdown(restored, 120)) << "recovery did not stop:\n" << restored.ServerLog();
  const std::string log = restored.ServerLog();
  EXPECT_NE(log.find("FATAL:  could not restore file \"" + failing +
                     "\" from archive: child process exited with exit code 255"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("selected new timeline ID"), std::string::npos) << "it promoted:\n" << log;
  EXPECT_EQ(log.find("archive recovery complete"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(restored.data_dir() / "pg_wal" / "00000002.history"));
  EXPECT_GT(proxy.faults(), 0);

  // The storage is back: started again, recovery goes on from where it stopped to the end.
  down = false;
  restored.Start();
  restored.WaitForPromotion(120);
  EXPECT_EQ(restored.Query("SELECT count(*) || ' rows, last batch ' || max(batch) FROM batches"),
            "6000 rows, last batch 6");
}

INSTANTIATE_TEST_SUITE_P(S3Servers, RecoveryStorageFaultTest, ::testing::ValuesIn(kS3Servers),
                         TestStorageParamName);

}  // namespace
}  // namespace walnut::testing
