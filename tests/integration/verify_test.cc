// walnut verify against real PostgreSQL 15 backups, on a directory, the s3rver and Ceph RGW: a
// full and a delta, lz4 and libsodium, verify with the pages' checksums (initdb --data-checksums); then a
// flipped byte in a stored part, a removed part and a removed WAL segment each fail naming what is
// damaged; the result is stored at walnut_reports/verify.json and written for node_exporter; the
// key left out fails naming the setting; and delete leaves walnut_reports/ alone.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "config/config_file.h"
#include "config/environment.h"
#include "config/settings.h"
#include "postgres/wal_file_name.h"
#include "storage/registry/storage_registry.h"
#include "support/backup_history.h"
#include "support/object_damage.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"
#include "wal/wal_catalog.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::unique_ptr<Storage> StorageOf(const WalnutConfig& walnut) {
  const Config config({}, Environment{}, ReadConfigFile(walnut.path().string()));
  return OpenStorage(config, LoadSettings(config));
}

Json ParseOrFail(const std::string& text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(json.is_object()) << text;
  return json;
}

bool AnyErrorHas(const Json& report, const std::vector<std::string>& parts) {
  for (const auto& line : report.value("errors", Json::array())) {
    std::string text = line.get<std::string>();
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const std::string& p) { return text.find(p) != std::string::npos; })) {
      return true;
    }
  }
  return false;
}

class VerifyIt : public ::testing::TestWithParam<TestStorage> {
 protected:
  BackupSource source_;
};

TEST_P(VerifyIt, ChainVerifiesThenEachDamageIsNamed) {
  WALNUT_SKIP_UNLESS_AVAILABLE(GetParam());
  WalnutConfig config(GetParam(), "verify");
  config.SetCompression("lz4");
  config.SetLibsodiumKey(kTestLibsodiumKeyHex);
  config.Set("WALG_DELTA_MAX_STEPS", "2");
  config.Set("WALG_DOWNLOAD_CONCURRENCY", "2");
  source_.StartArchiving(config);
  const std::string full = source_.Push(config);
  source_.Pgbench("-n -c 1 -t 100");
  const std::string delta = source_.Push(config);
  ASSERT_NE(delta.find("_D_"), std::string::npos) << delta;
  source_.ArchiveAll();
  source_.Stop();

  // Everything in order: the delta and its full are read back, pages checked.
  CommandResult r = config.Run("verify --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json report = ParseOrFail(r.out);
  EXPECT_EQ(report["kind"], "verify");
  EXPECT_EQ(report["success"], true);
  EXPECT_EQ(report["backups_checked"], 2);
  EXPECT_EQ(report["backups"], Json::array({full, delta}));
  EXPECT_GT(report["files_checked"].get<int>(), 900);
  EXPECT_GT(report["bytes_read"].get<int64_t>(), 20 << 20);
  EXPECT_GT(report["wal_segments_checked"].get<int>(), 1);
  EXPECT_EQ(report["wal_segments_missing"], 0);
  EXPECT_NE(r.err.find("data checksums on: page checksums are checked"), std::string::npos)
      << "pg_control was not read as a checksummed cluster's: " << r.err;

  // The stored result, and the textfile.
  CommandResult stored = config.Run("st cat walnut_reports/verify.json");
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  Json stored_report = ParseOrFail(stored.out);
  EXPECT_EQ(stored_report["success"], true);
  EXPECT_EQ(stored_report["finished_at"], report["finished_at"]);
  TempDir textfiles;
  GrantToPgRunUser(textfiles.path());
  r = config.Run("verify --all --textfile " + ShellQuote(textfiles.str()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("verify: OK: 2 backup(s) checked (0 failed)"), std::string::npos) << r.out;
  const std::string prom = ReadFile(textfiles.path() / "walnut_verify.prom");
  EXPECT_NE(prom.find("walnut_verify_last_success{storage=\""), std::string::npos) << prom;
  EXPECT_NE(prom.find("source=\"verify\"} 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("walnut_verify_last_backups_checked{"), std::string::npos) << prom;
  EXPECT_EQ(fs::status(textfiles.path() / "walnut_verify.prom").permissions() & fs::perms::all,
            fs::perms(0644));

  // Without the key: every part fails naming the setting.
  config.Unset("WALG_LIBSODIUM_KEY");
  r = config.Run("verify --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(AnyErrorHas(ParseOrFail(r.out), {"backup " + delta, "part_001.tar.lz4"})) << r.out;
  config.SetLibsodiumKey(kTestLibsodiumKeyHex);

  std::unique_ptr<Storage> storage = StorageOf(config);
  const std::string delta_part = "basebackups_005/" + delta + "/tar_partitions/part_001.tar.lz4";
  const std::string full_part = "basebackups_005/" + full + "/tar_partitions/part_001.tar.lz4";

  // A flipped byte in the delta's part.
  RewriteObject(*storage, delta_part, FlipMiddleBit);
  if (GetParam() == TestStorage::kDirectory) GrantToPgRunUser(config.storage_dir());
  r = config.Run("verify --json " + delta);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  report = ParseOrFail(r.out);
  EXPECT_EQ(report["success"], false);
  EXPECT_EQ(report["backups_failed"], 1);
  EXPECT_TRUE(AnyErrorHas(report, {"backup " + delta, delta_part})) << report.dump(2);
  EXPECT_NE(r.err.find(delta_part), std::string::npos) << "no error line names the part: " << r.err;
  stored = config.Run("st cat walnut_reports/verify.json");
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  EXPECT_EQ(ParseOrFail(stored.out)["success"], false) << "the failed run's result was not stored";

  // The full's part removed.
  ASSERT_EQ(config.Run("st rm " + full_part).exit_code, 0);
  r = config.Run("verify --json " + full);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(AnyErrorHas(ParseOrFail(r.out), {"backup " + full, full_part, "missing"})) << r.out;

  // A WAL segment between the full's start and the newest removed.
  std::vector<std::string> segments;
  for (const std::string& name : config.ListObjects("wal_005")) {
    // Without ".lz4" only: a backup history file (SEGMENT.OFFSET.backup) is no segment.
    const std::string base(wal::StripCompressionExtension(name));
    if (pg::ClassifyWalFileName(base) == pg::WalFileKind::kSegment && base > full.substr(5, 24)) {
      segments.push_back(name);
    }
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_GE(segments.size(), 2u);
  const std::string lost = segments.front();  // the one after the full's start
  ASSERT_EQ(config.Run("st rm wal_005/" + lost).exit_code, 0);
  r = config.Run("verify --json --all");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  report = ParseOrFail(r.out);
  EXPECT_EQ(report["wal_segments_missing"], 1) << report.dump(2);
  EXPECT_TRUE(AnyErrorHas(report, {"WAL segment " + lost.substr(0, 24), "missing"}))
      << report.dump(2);

  // Retention never touches walnut_reports/.
  r = config.Run("delete everything FORCE --confirm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(config.ListObjects("basebackups_005").empty());
  EXPECT_EQ(config.ListObjects("walnut_reports"), std::vector<std::string>{"verify.json"});
}

INSTANTIATE_TEST_SUITE_P(Storages, VerifyIt,
                         ::testing::Values(TestStorage::kDirectory, TestStorage::kS3,
                                           TestStorage::kRgw),
                         TestStorageParamName);

}  // namespace
}  // namespace walnut::testing
