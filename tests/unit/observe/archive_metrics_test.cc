#include "observe/archive_metrics.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backup/backup_metadata.h"
#include "common/rfc3339.h"
#include "backup/backup_name.h"
#include "common/error.h"
#include "metrics/families.h"
#include "pipeline/stored_document.h"
#include "storage/memory/memory_storage.h"

namespace walnut::observe {
namespace {

using std::chrono::seconds;
using metrics::AllMetricSpecs;
using metrics::MetricSpec;
using metrics::MetricType;

Timestamp At(int64_t unix_seconds) { return Timestamp(seconds(unix_seconds)); }

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

class ArchiveMetricsTest : public ::testing::Test {
 protected:
  ArchiveMetricsTest() : root_(storage_, "") {
    options_.storage_label = "memory://m";
  }

  void Backup(const std::string& name, int64_t start, int64_t finish, int64_t compressed,
              int64_t uncompressed) {
    BackupSentinel s;
    s.start_time = At(start);
    s.finish_time = At(finish);
    s.compressed_size = compressed;
    s.uncompressed_size = uncompressed;
    s.pg_version = 150004;
    s.lsn = 0x2000028;
    s.finish_lsn = 0x2000100;
    if (name.find("_D_") != std::string::npos) {
      s.delta_from = "base_000000010000000000000002";
      s.delta_full_name = s.delta_from;
      s.delta_lsn = 0x2000028;
      s.delta_count = 1;
    }
    storage_.Commit(BackupTarPartitionsKey(name) + "part_001.tar.lz4", std::string(1000, 'p'));
    PutDocument(root_, BackupSentinelKey(name), SerializeBackupSentinel(s));
    // Sentinels are ordered by their modification time.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  std::string Collect() {
    warnings_.clear();
    return "\n" + CollectArchiveMetrics(root_, options_, warnings_).Text();
  }

  MemoryStorage storage_{"m"};
  Folder root_;
  ArchiveMetricsOptions options_;
  std::vector<std::string> warnings_;
};

TEST_F(ArchiveMetricsTest, BackupsWalAndSizesOfAStorageWithAFullAndADelta) {
  Backup("base_000000010000000000000002", 1700000000, 1700000060, 4000, 20000);
  Backup("base_000000010000000000000004_D_000000010000000000000002", 1700003600, 1700003630,
         500, 3000);
  storage_.Commit("wal_005/000000010000000000000002.lz4", std::string(300, 'w'));
  storage_.Commit("wal_005/000000010000000000000003.lz4", std::string(200, 'w'));
  storage_.Commit("wal_005/000000010000000000000004.00000028.backup.lz4", std::string(10, 'w'));
  storage_.Commit("wal_005/00000002.history.lz4", std::string(10, 'w'));
  storage_.Commit("wal_005/000000010000000000000005.partial", std::string(10, 'w'));
  storage_.Commit("walnut_archive.json", "{}");

  const std::string text = Collect();
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
  const std::string st = "storage=\"memory://m\"";
  EXPECT_TRUE(Has(text, "walnut_up{" + st + "} 1")) << text;
  EXPECT_TRUE(Has(text, "walnut_backups{" + st + ",type=\"full\"} 1")) << text;
  EXPECT_TRUE(Has(text, "walnut_backups{" + st + ",type=\"delta\"} 1")) << text;
  EXPECT_TRUE(Has(text, "walnut_backup_last_start_timestamp_seconds{" + st +
                            ",type=\"full\"} 1700000000"));
  EXPECT_TRUE(Has(text, "walnut_backup_last_finish_timestamp_seconds{" + st +
                            ",type=\"delta\"} 1700003630"));
  EXPECT_TRUE(Has(text, "walnut_backup_last_duration_seconds{" + st + ",type=\"full\"} 60"));
  EXPECT_TRUE(Has(text, "walnut_backup_last_compressed_size_bytes{" + st + ",type=\"delta\"} 500"));
  EXPECT_TRUE(Has(text, "walnut_backup_last_uncompressed_size_bytes{" + st +
                            ",type=\"full\"} 20000"));
  EXPECT_TRUE(Has(text, "walnut_oldest_recoverable_timestamp_seconds{" + st + "} 1700000060"))
      << text;
  EXPECT_TRUE(Has(text, "walnut_wal_archived_segments{" + st + "} 2")) << text;
  EXPECT_TRUE(Has(text, "walnut_storage_size_bytes{" + st + ",kind=\"wal\"} 530")) << text;
  EXPECT_TRUE(Has(text, "walnut_storage_size_bytes{" + st + ",kind=\"other\"} 2")) << text;
  EXPECT_NE(text.find("walnut_wal_newest_archived_timestamp_seconds{" + st + "} "),
            std::string::npos);
  EXPECT_EQ(text.find("walnut_drill_"), std::string::npos) << "no report, no drill samples";
  EXPECT_EQ(text.find("walnut_pg_up"), std::string::npos) << "no database asked";
}

TEST_F(ArchiveMetricsTest, ArchiverAndLagWhenTheDatabaseAnswers) {
  storage_.Commit("wal_005/000000010000000000000003.lz4", "w");
  options_.archiver = [] {
    ArchiverStatus s;
    s.archived_count = 12;
    s.failed_count = 3;
    s.last_archived_time = 1700000100.5;
    s.last_failed_time = 1700000000;
    s.current_lsn = 0x4000100;  // 0x100 bytes into the segment after the newest archived one
    return std::optional<ArchiverStatus>(s);
  };
  const std::string text = Collect();
  const std::string st = "storage=\"memory://m\"";
  EXPECT_TRUE(Has(text, "walnut_pg_up{" + st + "} 1")) << text;
  EXPECT_TRUE(Has(text, "walnut_archiver_archived_total{" + st + "} 12"));
  EXPECT_TRUE(Has(text, "walnut_archiver_failed_total{" + st + "} 3"));
  EXPECT_TRUE(Has(text, "walnut_archiver_last_archived_timestamp_seconds{" + st +
                            "} 1700000100.5"));
  EXPECT_TRUE(Has(text, "walnut_archive_lag_bytes{" + st + "} 256")) << text;

  options_.archiver = [] { return std::optional<ArchiverStatus>(); };
  const std::string down = Collect();
  EXPECT_TRUE(Has(down, "walnut_pg_up{" + st + "} 0")) << down;
  EXPECT_EQ(down.find("walnut_archiver_"), std::string::npos);
}

TEST_F(ArchiveMetricsTest, LastDrillAndVerifyFromTheStoredReports) {
  PutDocument(root_, kDrillReportKey, R"({"version": 1, "kind": "drill",
      "started_at": "2026-12-01T10:00:00Z", "finished_at": "2026-12-01T10:05:00Z",
      "success": true, "host": "h", "walnut_version": "x", "errors": [],
      "backup_name": "base_000000010000000000000002", "backup_age_seconds": 3600,
      "rto_seconds": 240.5, "rpo_seconds": null, "target": {"kind": "end", "value": null}})");
  PutDocument(root_, kVerifyReportKey, R"({"version": 1, "kind": "verify",
      "started_at": "2026-12-02T10:00:00Z", "finished_at": "2026-12-02T10:01:00Z",
      "success": false, "host": "h", "walnut_version": "x",
      "errors": ["backup b: part_001.tar.lz4 damaged", "segment 0000000100000000000000AA missing"],
      "backups_checked": 4, "backups_failed": 1})");
  const std::string text = Collect();
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
  const std::string l = "{storage=\"memory://m\",source=\"storage\"}";
  EXPECT_TRUE(Has(text, "walnut_drill_last_run_timestamp_seconds" + l + " 1796119500")) << text;
  EXPECT_TRUE(Has(text, "walnut_drill_last_success" + l + " 1"));
  EXPECT_TRUE(Has(text, "walnut_drill_last_success_timestamp_seconds" + l + " 1796119500"));
  EXPECT_TRUE(Has(text, "walnut_drill_last_rto_seconds" + l + " 240.5"));
  EXPECT_EQ(text.find("walnut_drill_last_rpo_seconds"), std::string::npos) << "rpo null: absent";
  EXPECT_TRUE(Has(text, "walnut_drill_last_backup_age_seconds" + l + " 3600"));
  EXPECT_TRUE(Has(text, "walnut_drill_last_duration_seconds" + l + " 300"));
  EXPECT_TRUE(Has(text, "walnut_verify_last_run_timestamp_seconds" + l + " 1796205660"));
  EXPECT_TRUE(Has(text, "walnut_verify_last_success" + l + " 0"));
  EXPECT_TRUE(Has(text, "walnut_verify_last_backups_checked" + l + " 4"));
  EXPECT_TRUE(Has(text, "walnut_verify_last_errors" + l + " 2"));
}

TEST_F(ArchiveMetricsTest, AnUnreadableReportIsAWarningAndTheRestStillReports) {
  storage_.Commit(kDrillReportKey, "{\"kind\": \"drill\"");  // cut short, no checksum
  PutDocument(root_, kVerifyReportKey, "[1, 2]");
  const std::string text = Collect();
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_NE(warnings_[0].find("walnut_reports/drill.json"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[1].find("walnut_reports/verify.json"), std::string::npos) << warnings_[1];
  EXPECT_TRUE(Has(text, "walnut_up{storage=\"memory://m\"} 1")) << text;
  EXPECT_EQ(text.find("walnut_drill_"), std::string::npos);
  EXPECT_EQ(text.find("walnut_verify_"), std::string::npos);
}

class UnlistableStorage : public MemoryStorage {
 public:
  void List(std::string_view, const ListOptions&,
            const std::function<void(const ObjectInfo&)>&) override {
    throw Error(ErrorCode::kNetwork, "connection refused");
  }
};

TEST(ArchiveMetricsDownTest, AStorageThatCannotBeListedIsWalnutUpZero) {
  UnlistableStorage storage;
  std::vector<std::string> warnings;
  ArchiveMetricsOptions options;
  options.storage_label = "s3://b/p";
  const std::string text = CollectArchiveMetrics(Folder(storage, ""), options, warnings).Text();
  EXPECT_NE(text.find("walnut_up{storage=\"s3://b/p\"} 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("walnut_backups"), std::string::npos);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("connection refused"), std::string::npos);
}

TEST(MetricSpecsTest, EveryFamilyIsNamedAsPrometheusWants) {
  for (const MetricSpec& spec : AllMetricSpecs()) {
    EXPECT_TRUE(spec.name.starts_with("walnut_")) << spec.name;
    EXPECT_EQ(spec.type == MetricType::kCounter, spec.name.ends_with("_total")) << spec.name;
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_TRUE(spec.help.ends_with(".")) << spec.name;
  }
}

}  // namespace
}  // namespace walnut::observe
