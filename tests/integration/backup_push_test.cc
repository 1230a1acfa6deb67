#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/environment.h"
#include "config/settings.h"
#include "storage/registry/storage_registry.h"
#include "support/backup_history.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/object_damage.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

// The objects below `dir`, relative to it.
std::set<std::string> ListTree(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

// "Maximum resident set size (kbytes): N" from /usr/bin/time -v.
long MaxRssKb(const std::string& err) {
  std::smatch m;
  if (std::regex_search(err, m, std::regex(R"(Maximum resident set size \(kbytes\): (\d+))")))
    return std::stol(m[1]);
  return -1;
}

// A cluster with checksums, archiving by plain cp into the file storage's wal_005/ (the format
// WAL-G reads with WALG_COMPRESSION_METHOD=none: no extension), and a pgbench database.
class BackupPushIt : public ::testing::Test {
 protected:
  void SetUpCluster(const std::string& archive_command, int pgbench_scale = 1) {
    cluster_.InitDb();
    cluster_.Configure({"archive_mode = on", "archive_command = " + ConfQuote(archive_command),
                        "wal_level = replica"});
    cluster_.Start();
    cluster_.Pgbench("-i -s " + std::to_string(pgbench_scale) + " -q");
  }
  void UseCluster(CliRunner& cli) {
    cli.Set("PGHOST", cluster_.socket_dir().string());
    cli.Set("PGPORT", "5432");
    cli.Set("PGUSER", "postgres");
    cli.Set("PGDATABASE", "postgres");
  }
  PgCluster cluster_;
};

TEST_F(BackupPushIt, ToADirectoryAndGnuTarRestoresAWorkingCluster) {
  CliRunner cli;
  cli.UseFileStorage();
  UseCluster(cli);
  fs::path store = cli.storage_dir();
  fs::create_directories(store / "wal_005");
  GrantToPgRunUser(store);
  SetUpCluster("test ! -f " + (store / "wal_005/%f").string() + " && cp %p " +
                   (store / "wal_005/%f").string(),
               3);
  cluster_.Query("CREATE TABLE marker AS SELECT 42 AS answer");

  auto start = std::chrono::steady_clock::now();
  auto r =
      RunCommand("/usr/bin/time -v " + cli.CommandLine("backup-push --permanent --verify " +
                                                       ShellQuote(cluster_.data_dir().string()) +
                                                       " --add-user-data '{\"by\":\"it\"}'"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("page checksum verification failed"), std::string::npos) << r.err;

  // Names and layout as WAL-G's.
  std::set<std::string> objects = ListTree(store / "basebackups_005");
  std::string sentinel_name;
  for (const auto& o : objects) {
    if (o.ends_with("_backup_stop_sentinel.json")) sentinel_name = o;
  }
  ASSERT_TRUE(
      std::regex_match(sentinel_name, std::regex("base_[0-9A-F]{24}_backup_stop_sentinel.json")))
      << sentinel_name;
  std::string name = sentinel_name.substr(0, 29);
  EXPECT_TRUE(objects.contains(name + "/metadata.json"));
  EXPECT_TRUE(objects.contains(name + "/files_metadata.json"));
  EXPECT_TRUE(objects.contains(name + "/tar_partitions/part_001.tar.lz4"));
  EXPECT_TRUE(objects.contains(name + "/tar_partitions/pg_control.tar.lz4"));
  EXPECT_TRUE(objects.contains(name + "/tar_partitions/backup_label.tar.lz4"));

  std::string sentinel = ReadFile(store / "basebackups_005" / sentinel_name);
  for (const char* field :
       {"\"LSN\":", "\"FinishLSN\":", "\"PgVersion\":150", "\"SystemIdentifier\":",
        "\"UncompressedSize\":", "\"CompressedSize\":", "\"IsPermanent\":true",
        "\"UserData\":{\"by\":\"it\"}", "\"Hostname\":", "\"StartTime\":"}) {
    EXPECT_NE(sentinel.find(field), std::string::npos) << field << " in " << sentinel;
  }
  std::string files = ReadFile(store / "basebackups_005" / name / "files_metadata.json");
  EXPECT_NE(files.find("\"/global/pg_control\":"), std::string::npos);
  EXPECT_NE(files.find("\"Sha256\":\""), std::string::npos);
  EXPECT_NE(files.find("\"TarFileSets\":"), std::string::npos);
  EXPECT_EQ(files.find("postmaster.pid"), std::string::npos);

  long rss_kb = MaxRssKb(r.err);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(sentinel, m, std::regex(R"("DataCatalogSize":(\d+))")));
  double mb = std::stod(m[1]) / 1e6;
  std::printf(
      "[ measure ] backup-push to a directory: %.1f MB in %.2f s = %.1f MB/s, peak RSS %ld KiB\n",
      mb, seconds, mb / seconds, rss_kb);
  EXPECT_GT(rss_kb, 0);
  EXPECT_LT(rss_kb, 64 * 1024) << "peak RSS above 64 MiB";

  // Restore with GNU tar and the lz4 tool only: data parts first, then pg_control, then the
  // backup label, as WAL-G's backup-fetch does.
  PgCluster restored;
  fs::path target = restored.data_dir();
  fs::create_directories(target);
  fs::path tars = store / "basebackups_005" / name / "tar_partitions";
  std::vector<std::string> order;
  for (const auto& o : ListTree(tars)) {
    if (o.starts_with("part_")) order.push_back(o);
  }
  order.push_back("pg_control.tar.lz4");
  order.push_back("backup_label.tar.lz4");
  for (const auto& tar : order) {
    auto x = RunCommand("lz4 -dc " + ShellQuote((tars / tar).string()) + " | tar -xf - -C " +
                        ShellQuote(target.string()));
    ASSERT_EQ(x.exit_code, 0) << tar << ": " << x.err;
  }
  fs::permissions(target, fs::perms::owner_all, fs::perm_options::replace);
  GrantToPgRunUser(restored.dir());
  restored.Configure(
      {"restore_command = " + ConfQuote("cp " + (store / "wal_005/%f").string() + " %p"),
       "archive_mode = off"});
  restored.SignalRecovery();
  restored.Start();
  restored.WaitForPromotion(60);
  EXPECT_EQ(restored.Query("SELECT answer FROM marker"), "42");
  EXPECT_EQ(restored.Query("SELECT count(*) FROM pgbench_accounts"), "300000");
}

TEST_F(BackupPushIt, VerifyReportsACorruptedPageAndTheBackupStillCompletes) {
  CliRunner cli;
  cli.UseFileStorage();
  UseCluster(cli);
  fs::path store = cli.storage_dir();
  fs::create_directories(store / "wal_005");
  GrantToPgRunUser(store);
  SetUpCluster("cp %p " + (store / "wal_005/%f").string());
  cluster_.Query(
      "CREATE TABLE victim AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, "
      "2000) g");
  cluster_.Query("CHECKPOINT");
  std::string relpath = cluster_.Query("SELECT pg_relation_filepath('victim')");
  // Flip a byte in the middle of block 1 with the server stopped (so no buffer overwrites it).
  cluster_.Stop();
  {
    fs::path file = cluster_.data_dir() / relpath;
    std::string data = ReadFile(file);
    ASSERT_GT(data.size(), 2u * 8192);
    data[8192 + 4000] = static_cast<char>(data[8192 + 4000] ^ 0x55);
    WriteFile(file, data);
    GrantToPgRunUser(file);
  }
  cluster_.Start();

  cli.Set("WALG_COMPRESSION_METHOD", "none");
  auto r = cli.Run("backup-push -v " + ShellQuote(cluster_.data_dir().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("WARNING"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("page checksum verification failed in /" + relpath), std::string::npos)
      << r.err;
  std::set<std::string> objects = ListTree(store / "basebackups_005");
  std::string files_metadata;
  for (const auto& o : objects) {
    if (o.ends_with("files_metadata.json"))
      files_metadata = ReadFile(store / "basebackups_005" / o);
    if (o.find("tar_partitions/") != std::string::npos) {
      EXPECT_TRUE(o.ends_with(".tar")) << o;
    }
  }
  EXPECT_NE(
      files_metadata.find("\"CorruptBlocks\":{\"CorruptBlocksCount\":1,\"SomeCorruptBlocks\":[1]}"),
      std::string::npos)
      << files_metadata.substr(0, 2000);
}

TEST_F(BackupPushIt, ToS3) {
  CliRunner cli;
  cli.UseS3Storage("backup-push");
  UseCluster(cli);
  // The archiver runs `walnut st put` (same format as wal-push: wal_005/<name>.lz4) as the server's
  // user, with a HOME it can read.
  CliRunner archiver;
  archiver.CopySettingsFrom(cli);
  archiver.Set("HOME", "/tmp");
  SetUpCluster(archiver.CommandLine("st put %p wal_005/%f"));

  auto r = RunCommand("/usr/bin/time -v " +
                      cli.CommandLine("backup-push " + ShellQuote(cluster_.data_dir().string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::printf("[ measure ] backup-push to s3rver: peak RSS %ld KiB\n", MaxRssKb(r.err));
  // 32 MiB + upload concurrency x part size: with the defaults, one tar in flight.
  EXPECT_LT(MaxRssKb(r.err), 96 * 1024);

  auto ls = cli.Run("st ls -r basebackups_005/");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_TRUE(std::regex_search(ls.out, std::regex("base_[0-9A-F]{24}_backup_stop_sentinel.json")))
      << ls.out;
  EXPECT_NE(ls.out.find("tar_partitions/part_001.tar.lz4"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("tar_partitions/pg_control.tar.lz4"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("files_metadata.json"), std::string::npos) << ls.out;
}

// S3 cannot keep the SHA-256 of a tar streamed in several parts (metadata goes with the first
// request): the sentinel's WalnutSha256 carries it, and backup-fetch checks the part against it.
TEST_F(BackupPushIt, ToS3MultipartPartsAreCheckedAgainstTheSentinel) {
  CliRunner cli;
  cli.UseS3Storage("backup-push-checksum");
  cli.Set("WALG_COMPRESSION_METHOD", "none");  // a ~20 MB part: four 5 MiB uploads
  cli.Set("WALG_S3_MAX_PART_SIZE", "5MiB");
  UseCluster(cli);
  CliRunner archiver;
  archiver.CopySettingsFrom(cli);
  archiver.Set("HOME", "/tmp");
  SetUpCluster(archiver.CommandLine("st put %p wal_005/%f"));
  auto r = cli.Run("backup-push " + ShellQuote(cluster_.data_dir().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const Environment env(cli.variables().begin(), cli.variables().end());
  const Config config({}, env);
  std::unique_ptr<Storage> storage = OpenStorage(config, LoadSettings(config));
  std::string part, sentinel;
  storage->List("basebackups_005/", {}, [&](const ObjectInfo& info) {
    if (info.key.ends_with("/tar_partitions/part_001.tar")) part = info.key;
    if (info.key.ends_with("_backup_stop_sentinel.json")) sentinel = info.key;
  });
  ASSERT_FALSE(part.empty());
  EXPECT_EQ(storage->Get(part)->metadata().count("walnut-stored-sha256"), 0u)
      << "a multipart upload cannot carry its digest";
  EXPECT_NE(ReadAll(*storage->Get(sentinel)).find("\"WalnutSha256\":{"), std::string::npos);

  TempDir restore;
  r = cli.Run("backup-fetch " + ShellQuote((restore.path() / "a").string()) + " LATEST");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("could not be verified"), std::string::npos) << r.err;

  RewriteObject(*storage, part, AlterTarUserName);
  r = cli.Run("backup-fetch " + ShellQuote((restore.path() / "b").string()) + " LATEST");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, {"part_001.tar: content does not match its recorded SHA-256"});
  EXPECT_FALSE(fs::exists(restore.path() / "b/global/pg_control"));
}

TEST_F(BackupPushIt, WrongDataDirectoryAndBrokenArchivingFailClearly) {
  CliRunner cli;
  cli.UseFileStorage();
  UseCluster(cli);
  cli.Set("WALNUT_ARCHIVE_WAIT_TIMEOUT", "2s");
  SetUpCluster("false");  // archiving always fails

  TempDir elsewhere;
  auto wrong = cli.Run("backup-push " + ShellQuote(elsewhere.str()));
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("is not the server's data_directory"), std::string::npos) << wrong.err;

  auto r = cli.Run("backup-push " + ShellQuote(cluster_.data_dir().string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("ERROR"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("last_failed_wal"), std::string::npos) << r.err;
  std::set<std::string> objects = fs::exists(fs::path(cli.storage_dir()) / "basebackups_005")
                                      ? ListTree(fs::path(cli.storage_dir()) / "basebackups_005")
                                      : std::set<std::string>{};
  for (const auto& o : objects) EXPECT_FALSE(o.ends_with("_backup_stop_sentinel.json")) << o;
  // The server is not left in backup mode: a new backup can start.
  EXPECT_EQ(cluster_.Query(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND "
                "query LIKE '%pg_backup%' AND state = 'active' AND pid <> pg_backend_pid()"),
            "0");
}

// backup-push of a server that archives nothing fails at once (not after
// WALNUT_ARCHIVE_WAIT_TIMEOUT) with the fix; WALNUT_ARCHIVE_CHECK=false backs it up for WAL that
// reaches the storage another way, and the backup restores once that WAL is there; an archive
// module (archive_library, PostgreSQL 15) is archiving like archive_command.
TEST(BackupPushArchiveCheckIt, ArchivingIsCheckedBeforeTheBackupAndCanBeLeftToTheUser) {
  WalnutConfig config(TestStorage::kDirectory);
  BackupSource cluster;
  cluster.InitDb();
  cluster.Configure({"wal_level = replica", "archive_mode = off"});
  cluster.Start();
  cluster.Pgbench("-i -q -s 1");
  const std::string push =
      config.CommandLine("backup-push " + ShellQuote(cluster.data_dir().string()));
  auto expect_refused_at_once = [&](std::string_view why) {
    SCOPED_TRACE(why);
    const std::vector<std::string> before = config.ListObjects("basebackups_005");
    const auto start = std::chrono::steady_clock::now();
    CommandResult r = cluster.Run(push);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ measure ] backup-push refused (%.*s) in %.0f ms\n", static_cast<int>(why.size()),
                why.data(), ms);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    ExpectOneErrorLine(
        r, {why, "archive_command = 'wal-g wal-push %p'", "WALNUT_ARCHIVE_CHECK=false"});
    EXPECT_LT(ms, 1000) << "not at once (the wait for WAL is 60 s)";
    EXPECT_EQ(config.ListObjects("basebackups_005"), before) << "a backup was started";
  };
  expect_refused_at_once("archive_mode is off");

  {
    SCOPED_TRACE("WALNUT_ARCHIVE_CHECK=false");
    config.Set("WALNUT_ARCHIVE_CHECK", "false");
    const auto start = std::chrono::steady_clock::now();
    TakenBackup taken{cluster.Push(config), "", ""};
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ measure ] backup-push with WALNUT_ARCHIVE_CHECK=false: %.2f s\n", seconds);
    ASSERT_FALSE(taken.name.empty());
    taken.dump = cluster.DumpAll();
    EXPECT_LT(seconds, 30) << "it waited for WAL";
    // The WAL reaches the storage another way: pushed by hand from pg_wal.
    const nlohmann::json sentinel = SentinelJson(config, taken.name);
    const uint64_t first = sentinel["LSN"].get<uint64_t>() >> 24;
    const uint64_t last = (sentinel["FinishLSN"].get<uint64_t>() - 1) >> 24;
    for (uint64_t segno = first; segno <= last; ++segno) {
      char name[25];
      std::snprintf(name, sizeof name, "%08X%08X%08X", 1u, static_cast<unsigned>(segno >> 8),
                    static_cast<unsigned>(segno & 0xFF));
      CommandResult r =
          config.Run("wal-push " + ShellQuote((cluster.data_dir() / "pg_wal" / name).string()));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    RestoreAndCheck(config, taken, {.to_consistency = true, .amcheck = false});
    config.Unset("WALNUT_ARCHIVE_CHECK");
  }

  cluster.Configure({"archive_mode = on", "archive_command = ''"});
  cluster.Stop();
  cluster.Start();
  expect_refused_at_once("archive_command is empty");
  cluster.Configure({"archive_command = '/bin/true'"});
  cluster.Query("SELECT pg_reload_conf()");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  expect_refused_at_once("which archives nothing");

  {
    SCOPED_TRACE("archive_library = 'basic_archive' into wal_005/ (raw, as WAL-G's none)");
    const fs::path wal = config.storage_dir() / "wal_005";
    fs::create_directories(wal);
    GrantToPgRunUser(config.storage_dir());
    cluster.Configure({"archive_command = ''", "archive_library = 'basic_archive'",
                       "basic_archive.archive_directory = " + ConfQuote(wal.string())});
    cluster.Query("SELECT pg_reload_conf()");
    EXPECT_FALSE(cluster.Push(config).empty());
  }
}

TEST_F(BackupPushIt, SigtermStopsTheBackupWithoutASentinel) {
  CliRunner cli;
  cli.UseFileStorage();
  UseCluster(cli);
  fs::path store = cli.storage_dir();
  fs::create_directories(store / "wal_005");
  GrantToPgRunUser(store);
  SetUpCluster("cp %p " + (store / "wal_005/%f").string());
  cli.Set("WALG_DISK_RATE_LIMIT", "2000000");  // slow enough to be interrupted
  auto r =
      RunCommand("(" + cli.CommandLine("backup-push " + ShellQuote(cluster_.data_dir().string())) +
                 " & pid=$!; sleep 2; kill -TERM $pid; wait $pid)");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  std::set<std::string> objects = ListTree(store);
  for (const auto& o : objects) EXPECT_FALSE(o.ends_with("_backup_stop_sentinel.json")) << o;
  // The server left backup mode: pg_backup_start works again on a new connection.
  EXPECT_NO_THROW(
      cluster_.Query("SELECT pg_backup_start('again', true); SELECT pg_backup_stop(false);"));
}

}  // namespace
}  // namespace walnut::testing
