// `st transfer` between failover storages and `copy` / `st copy` between config files, through the
// binary, across a directory, the fixture's s3rver and its sshd: objects arrive byte for byte with
// their checksums, a damaged source is never copied, a re-run copies only what is missing, and a
// backup's sentinel arrives last.

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/digest.h"
#include "postgres/wal_file_name.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/test_util.h"
#include "support/wal_segments.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSystemId = 7'311'222'333'444'555'888ull;
constexpr uint64_t kSegmentSize = 1u << 20;

std::string SegmentName(uint64_t segno) { return pg::WalFileName({1, segno}, kSegmentSize); }

// `cli`'s settings as a JSON object: a config file's, or a failover storage's section.
nlohmann::json SettingsOf(const CliRunner& cli) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : cli.variables()) {
    if (name != "PATH" && name != "HOME") j[name] = value;
  }
  return j;
}

// A config file holding `cli`'s storage settings, as `copy --from/--to` reads them.
fs::path WriteConfig(const CliRunner& cli, const fs::path& path) {
  WriteFile(path, SettingsOf(cli).dump(2));
  return path;
}

void Prepare(CliRunner& cli) {
  cli.Set("WALG_PG_WAL_SIZE", "1");
  cli.Set("PGDATA", cli.work().path().string());
  cli.Set("WALG_LIBSODIUM_KEY", "4f8a2c11d0e97b35a6c8e1f20b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e");
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
}

// Archives segments 1..n through wal-push.
void PushSegments(const CliRunner& cli, uint64_t n) {
  fs::path pg_wal = cli.work().path() / "pg_wal";
  for (uint64_t segno = 1; segno <= n; ++segno) {
    fs::path p = WriteFakeWalSegment(pg_wal, {1, segno}, kSystemId, /*ready=*/false, kSegmentSize);
    auto r = cli.Run("wal-push " + ShellQuote(p.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

// wal-fetch of each segment through `cli` gives back what was archived, verified (no warning).
void ExpectFetches(const CliRunner& cli, const CliRunner& origin, uint64_t n) {
  for (uint64_t segno = 1; segno <= n; ++segno) {
    fs::path out = cli.work().path() / ("fetched-" + std::to_string(segno));
    fs::remove(out);
    auto r = cli.Run("wal-fetch " + SegmentName(segno) + " " + ShellQuote(out.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(ReadFile(out) == ReadFile(origin.work().path() / "pg_wal" / SegmentName(segno)));
    EXPECT_EQ(r.err.find("could not be verified"), std::string::npos) << r.err;
  }
}

struct Pair {
  TestStorage from;
  TestStorage to;
  std::string name;
};

class CopyCliTest : public ::testing::TestWithParam<Pair> {};

INSTANTIATE_TEST_SUITE_P(Storages, CopyCliTest,
                         ::testing::Values(Pair{TestStorage::kDirectory, TestStorage::kS3, "FsToS3"},
                                           Pair{TestStorage::kS3, TestStorage::kSftp, "S3ToSftp"},
                                           Pair{TestStorage::kSftp, TestStorage::kDirectory,
                                                "SftpToFs"}),
                         [](const auto& param_info) { return param_info.param.name; });

TEST_P(CopyCliTest, CopiesEverythingVerifiedAndOnlyWhatIsMissingOnARerun) {
  CliRunner source;
  source.UseStorage(GetParam().from, "copy-src");
  Prepare(source);
  CliRunner target;
  target.UseStorage(GetParam().to, "copy-dst");
  Prepare(target);
  PushSegments(source, 3);
  fs::path from = WriteConfig(source, source.work().path() / "from.json");
  fs::path to = WriteConfig(target, target.work().path() / "to.json");

  auto r = source.Run(fmt::format("copy --from {} --to {}", ShellQuote(from.string()),
                                  ShellQuote(to.string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("copied 4 objects"), std::string::npos) << r.err;  // + walnut_archive.json
  ExpectFetches(target, source, 3);

  // Again: nothing is missing, nothing is copied.
  r = source.Run(fmt::format("copy --from {} --to {}", ShellQuote(from.string()),
                             ShellQuote(to.string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("0 objects to copy, 4 already in the target"), std::string::npos) << r.err;

  // One more segment: only it goes.
  fs::path p = WriteFakeWalSegment(source.work().path() / "pg_wal", {1, 4}, kSystemId, false,
                                   kSegmentSize);
  ASSERT_EQ(source.Run("wal-push " + ShellQuote(p.string())).exit_code, 0);
  r = source.Run(fmt::format("copy --from {} --to {}", ShellQuote(from.string()),
                             ShellQuote(to.string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("copied 1 objects"), std::string::npos) << r.err;
  ExpectFetches(target, source, 4);
}

TEST(CopyCliFailureTest, ADamagedSourceIsNeverCopied) {
  CliRunner source;
  source.UseFileStorage();
  Prepare(source);
  CliRunner target;
  target.UseFileStorage();
  Prepare(target);
  PushSegments(source, 2);
  // A bit flipped in the first segment's stored bytes (its extended attributes stay).
  fs::path object = fs::path(source.storage_dir()) / "wal_005" / (SegmentName(1) + ".lz4");
  std::string bytes = ReadFile(object);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  {
    std::FILE* f = std::fopen(object.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  fs::path from = WriteConfig(source, source.work().path() / "from.json");
  fs::path to = WriteConfig(target, target.work().path() / "to.json");
  auto r = source.Run(fmt::format("copy --from {} --to {}", ShellQuote(from.string()),
                                  ShellQuote(to.string())));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(SegmentName(1)), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(target.storage_dir()) / "wal_005" / (SegmentName(1) + ".lz4")));
  EXPECT_TRUE(fs::exists(fs::path(target.storage_dir()) / "wal_005" / (SegmentName(2) + ".lz4")));
}

// A primary directory and a failover storage "spare" (a directory or SFTP).
struct Failover {
  CliRunner cli;
  CliRunner spare;
  explicit Failover(TestStorage spare_storage) {
    cli.UseFileStorage();
    Prepare(cli);
    spare.UseStorage(spare_storage, "transfer-spare");
    nlohmann::json settings = SettingsOf(spare);
    settings.erase("PGDATA");
    settings.erase("WALG_PG_WAL_SIZE");
    settings.erase("WALG_LIBSODIUM_KEY");
    settings.erase("WALG_LIBSODIUM_KEY_TRANSFORM");
    cli.Set("WALG_FAILOVER_STORAGES", nlohmann::json{{"spare", settings}}.dump());
    cli.Set("WALNUT_FAILOVER_STATUS_CACHE", (cli.work().path() / "cache.json").string());
  }
  std::string Ls(const std::string& target, const std::string& path) const {
    auto r = cli.Run("st ls -r -t " + target + " " + path);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

class TransferCliTest : public ::testing::TestWithParam<TestStorage> {};
INSTANTIATE_TEST_SUITE_P(Spares, TransferCliTest,
                         ::testing::Values(TestStorage::kDirectory, TestStorage::kSftp),
                         TestStorageParamName);

TEST_P(TransferCliTest, PgWalsMoveFromTheSpareToThePrimary) {
  Failover f(GetParam());
  // Archived into the spare (as while the primary was down).
  fs::path pg_wal = f.cli.work().path() / "pg_wal";
  for (uint64_t segno = 1; segno <= 3; ++segno) {
    fs::path p = WriteFakeWalSegment(pg_wal, {1, segno}, kSystemId, false, kSegmentSize);
    auto r = f.cli.Run("wal-push --target-storage spare " + ShellQuote(p.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(f.Ls("default", "wal_005/").find(SegmentName(1)), std::string::npos);
  auto r = f.cli.Run("st transfer pg-wals --source spare --appearance-checks-interval 10ms");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string primary = f.Ls("default", "wal_005/");
  std::string spare = f.Ls("spare", "wal_005/");
  for (uint64_t segno = 1; segno <= 3; ++segno) {
    EXPECT_NE(primary.find(SegmentName(segno)), std::string::npos) << primary;
    EXPECT_EQ(spare.find(SegmentName(segno)), std::string::npos) << spare;
  }
  // Fetched from the primary alone, verified by the SHA-256 that travelled with each object.
  CliRunner& cli = f.cli;
  for (uint64_t segno = 1; segno <= 3; ++segno) {
    fs::path out = cli.work().path() / ("fetched-" + std::to_string(segno));
    auto fetch = cli.Run("wal-fetch --target-storage default " + SegmentName(segno) + " " +
                         ShellQuote(out.string()));
    ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
    EXPECT_EQ(fetch.err.find("could not be verified"), std::string::npos) << fetch.err;
  }
  // Bad use: one line each.
  r = f.cli.Run("st transfer pg-wals");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--source"), std::string::npos) << r.err;
  r = f.cli.Run("st transfer pg-wals --source default");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("both 'default'"), std::string::npos) << r.err;
  r = f.cli.Run("st transfer pg-wals --source nosuch");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
}

TEST_P(TransferCliTest, BackupsMoveWholeAndADamagedOneStaysWhereItIs) {
  Failover f(GetParam());
  auto put_backup = [&](const std::string& name, const std::string& part,
                        const std::string& recorded_sha) {
    fs::path src = f.cli.work().path() / "part";
    WriteFile(src, part);
    auto r = f.cli.Run(fmt::format(
        "st put -t spare --no-compress --no-encrypt {} basebackups_005/{}/tar_partitions/part_1.tar",
        ShellQuote(src.string()), name));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json sentinel = {{"LSN", 16777256},
                               {"FinishLSN", 16777472},
                               {"WalnutSha256", {{"tar_partitions/part_1.tar", recorded_sha}}}};
    WriteFile(src, sentinel.dump());
    r = f.cli.Run(fmt::format(
        "st put -t spare --no-compress --no-encrypt {} basebackups_005/{}_backup_stop_sentinel.json",
        ShellQuote(src.string()), name));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  std::string good = RandomBytes(300 << 10, 5);
  const std::string ok_name = "base_000000010000000000000002";
  const std::string bad_name = "base_000000010000000000000004";
  put_backup(ok_name, good, Digest::Of(AsBytes(good)).Hex());
  put_backup(bad_name, good, std::string(64, '0'));

  auto r = f.cli.Run("st transfer backups --source spare --appearance-checks-interval 10ms");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(bad_name), std::string::npos) << r.err;
  std::string primary = f.Ls("default", "basebackups_005/");
  std::string spare = f.Ls("spare", "basebackups_005/");
  EXPECT_NE(primary.find(ok_name + "_backup_stop_sentinel.json"), std::string::npos) << primary;
  EXPECT_NE(primary.find(ok_name + "/tar_partitions/part_1.tar"), std::string::npos) << primary;
  EXPECT_EQ(spare.find(ok_name), std::string::npos) << spare;
  // The damaged one: not listed in the primary, still whole in the spare.
  EXPECT_EQ(primary.find(bad_name + "_backup_stop_sentinel.json"), std::string::npos) << primary;
  EXPECT_NE(spare.find(bad_name + "_backup_stop_sentinel.json"), std::string::npos) << spare;
  EXPECT_NE(spare.find(bad_name + "/tar_partitions/part_1.tar"), std::string::npos) << spare;
  // backup-list now finds the good one in the primary.
  auto list = f.cli.Run("backup-list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const std::string& line : Lines(list.out)) {
    if (line.find(ok_name) != std::string::npos) {
      EXPECT_NE(line.find("default"), std::string::npos) << line;
    }
    if (line.find(bad_name) != std::string::npos) {
      EXPECT_NE(line.find("spare"), std::string::npos) << line;
    }
  }
}

TEST(StCopyCliTest, CopiesAPrefixAndStatReportsOneObject) {
  CliRunner source;
  source.UseFileStorage();
  Prepare(source);
  CliRunner target;
  target.UseS3Storage("st-copy");
  Prepare(target);
  PushSegments(source, 2);
  fs::path from = WriteConfig(source, source.work().path() / "from.json");
  fs::path to = WriteConfig(target, target.work().path() / "to.json");
  auto r = source.Run(fmt::format("st copy --from {} --to {} -p wal_005/",
                                  ShellQuote(from.string()), ShellQuote(to.string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectFetches(target, source, 2);
  auto stat = target.Run("st stat wal_005/" + SegmentName(1) + ".lz4");
  ASSERT_EQ(stat.exit_code, 0) << stat.err;
  EXPECT_NE(stat.out.find(SegmentName(1)), std::string::npos) << stat.out;
  stat = target.Run("st stat wal_005/nothing");
  EXPECT_EQ(stat.exit_code, 1);
  EXPECT_EQ(ErrorLines(stat).size(), 1u) << stat.err;
}

}  // namespace
}  // namespace walnut::testing
