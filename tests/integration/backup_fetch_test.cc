// backup-fetch against real PostgreSQL 15: a WAL-G-shaped backup (GNU tar parts with WAL-G's
// leading-'/' names, a pg_control tar, a backup_label tar, a hand-written sentinel and
// files_metadata.json) is put into storage through `walnut st put` (so compressed and encrypted
// as the pipeline does), fetched by walnut running as PostgreSQL's user, and the restored cluster
// must start and dump exactly what the source held.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/environment.h"
#include "config/settings.h"
#include "io/digest.h"
#include "storage/registry/storage_registry.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/object_damage.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kBackupName[] = "base_000000010000000000000002";

// Dumps are megabytes: report where they differ instead of letting gtest diff them.
void ExpectSameDump(const std::string& actual, const std::string& expected) {
  auto [a, e] = std::mismatch(actual.begin(), actual.end(), expected.begin(), expected.end());
  if (a == actual.end() && e == expected.end()) return;
  size_t at = static_cast<size_t>(a - actual.begin());
  size_t from = at < 200 ? 0 : at - 200;
  ADD_FAILURE() << "dumps differ at byte " << at << "\nrestored: " << actual.substr(from, 400)
                << "\nsource: " << expected.substr(from, 400);
}

void MustRun(const std::string& command) {
  CommandResult r = RunCommand(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.err << r.out;
}

// One stopped source cluster for the whole suite: pgbench data, a marker table and a table in a
// tablespace outside the data directory.
class BackupFetchIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = std::make_unique<PgCluster>();
    source_->InitDb();
    source_->Start();
    fs::path ts = source_->dir() / "ts";
    MustRun(AsPgRunUser("mkdir -m 0700 " + ShellQuote(ts.string())));
    source_->Query("CREATE TABLESPACE ts LOCATION '" + ts.string() + "'");
    source_->Query(
        "CREATE TABLE in_ts TABLESPACE ts AS SELECT g AS n FROM generate_series(1, 1000) g");
    source_->Query("CREATE TABLE marker AS SELECT 42 AS answer");
    source_->Pgbench("-i -s 1 -q");
    tablespace_oid_ = source_->Query("SELECT oid FROM pg_tablespace WHERE spcname = 'ts'");
    dump_ = new std::string(source_->DumpAll());
    source_->Stop();
    tars_ = std::make_unique<TempDir>();
    MakeTars();
  }
  static void TearDownTestSuite() {
    source_.reset();
    tars_.reset();
    delete dump_;
  }

  // The tars WAL-G would write (uncompressed here; `st put` compresses and encrypts them):
  // part_001 the top level, part_002 base/ and the tablespace (stored under pg_tblspc/<oid>/, the
  // link followed, as WAL-G walks it), pg_control alone, backup_label with tablespace_map.
  static void MakeTars() {
    std::string data = ShellQuote(source_->data_dir().string());
    std::string tar = "tar --format=posix -P --transform='s,^\\./,/,' -C " + data;
    fs::path dir = tars_->path();
    MustRun(fmt::format(
        "{} -cf {} --exclude=./base --exclude=./pg_tblspc/* --exclude=./global/pg_control "
        "--exclude=./postmaster.opts --exclude=./postmaster.pid .",
        tar, (dir / "part_001.tar").string()));
    MustRun(fmt::format("{} -h -cf {} ./base ./pg_tblspc/{}", tar, (dir / "part_002.tar").string(),
                        tablespace_oid_));
    MustRun(fmt::format("{} -cf {} ./global/pg_control", tar, (dir / "pg_control.tar").string()));
    fs::create_directories(dir / "label");
    WriteFile(dir / "label/tablespace_map", "");
    MustRun(fmt::format("tar -cf {} -C {} tablespace_map", (dir / "backup_label.tar").string(),
                        (dir / "label").string()));
  }

  // files_metadata.json: every file (with the SHA-256 Walnut records) and which tar holds it.
  static std::string FilesMetadata(const std::string& ext, const std::string& corrupt_path = "") {
    std::vector<std::string> files;
    std::vector<std::string> part1, part2;
    for (const auto& entry : fs::recursive_directory_iterator(source_->data_dir())) {
      std::string rel = fs::relative(entry.path(), source_->data_dir()).string();
      if (rel == "postmaster.opts" || rel == "global/pg_control" || entry.is_symlink()) continue;
      std::string sha =
          entry.is_regular_file() ? Digest::Of(AsBytes(ReadFile(entry.path()))).Hex() : "";
      if (rel == corrupt_path) sha = std::string(64, '0');
      files.push_back(
          fmt::format("\"/{}\":{{\"IsIncremented\":false,\"IsSkipped\":false,"
                      "\"MTime\":\"2024-01-01T00:00:00Z\",\"UpdatesCount\":0{}}}",
                      rel, sha.empty() ? "" : ",\"Sha256\":\"" + sha + "\""));
      if (entry.is_regular_file())
        (rel.starts_with("base/") ? part2 : part1).push_back("\"/" + rel + "\"");
    }
    return fmt::format(
        "{{\"Files\":{{{}}},\"TarFileSets\":{{\"part_001.tar{}\":[{}],\"part_002.tar{}\":[{}],"
        "\"pg_control.tar{}\":[\"/global/"
        "pg_control\"],\"backup_label.tar{}\":[\"tablespace_map\"]}}}}",
        fmt::join(files, ","), ext, fmt::join(part1, ","), ext, fmt::join(part2, ","), ext, ext);
  }

  static std::string Sentinel() {
    return fmt::format(
        "{{\"LSN\":33554472,\"PgVersion\":150000,\"FinishLSN\":33554688,\"SystemIdentifier\":1,"
        "\"UncompressedSize\":1,\"CompressedSize\":1,\"Spec\":{{\"base_prefix\":\"{}\","
        "\"tablespaces\":[\"{}\"],"
        "\"{}\":{{\"loc\":\"{}\",\"link\":\"pg_tblspc/{}\"}}}},\"UserData\":{{\"run\":\"it\"}},"
        "\"Version\":2,\"StartTime\":\"2024-01-01T00:00:00Z\",\"FinishTime\":\"2024-01-01T00:00:"
        "01Z\","
        "\"DateFmt\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"Hostname\":\"it\",\"DataDir\":\"{}\","
        "\"IsPermanent\":false}}",
        source_->data_dir().string(), tablespace_oid_, tablespace_oid_,
        (source_->dir() / "ts").string(), tablespace_oid_, source_->data_dir().string());
  }

  // Uploads the backup; `ext` is the compression extension `st put` appends (".lz4", ".br").
  void Upload(CliRunner& cli, const std::string& ext, const std::string& corrupt_path = "") {
    std::string folder = std::string("basebackups_005/") + kBackupName;
    for (const char* name :
         {"part_001.tar", "part_002.tar", "pg_control.tar", "backup_label.tar"}) {
      auto r = cli.Run(fmt::format("st put {} {}/tar_partitions/{}",
                                   ShellQuote((tars_->path() / name).string()), folder, name));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    WriteFile(cli.work().path() / "files_metadata.json", FilesMetadata(ext, corrupt_path));
    WriteFile(cli.work().path() / "sentinel.json", Sentinel());
    for (auto [local, object] :
         {std::pair{"files_metadata.json", folder + "/files_metadata.json"},
          std::pair{"sentinel.json", folder + "_backup_stop_sentinel.json"}}) {
      auto r = cli.Run(fmt::format("st put --no-compress --no-encrypt {} {}",
                                   ShellQuote((cli.work().path() / local).string()), object));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    if (cli.storage_dir().size() > 0 && fs::exists(cli.storage_dir()))
      GrantToPgRunUser(cli.storage_dir());
  }

  // backup-fetch run as PostgreSQL's user, so the files are owned as the server needs.
  CommandResult Fetch(const CliRunner& cli, const std::string& args) {
    return RunCommand(AsPgRunUser(cli.CommandLine("backup-fetch " + args)));
  }

  // Writes a restore spec that moves the tablespace into `restored`'s directory (the source still
  // holds the original location) and returns the backup-fetch arguments that use it.
  static std::string MovedTablespaceArgs(PgCluster& restored) {
    fs::path spec = restored.dir() / "spec.json";
    WriteFile(spec, fmt::format(
                        "{{\"base_prefix\":\"{}\",\"tablespaces\":[\"{}\"],\"{}\":{{\"loc\":\"{}\","
                        "\"link\":\"pg_tblspc/{}\"}}}}",
                        restored.data_dir().string(), tablespace_oid_, tablespace_oid_,
                        MovedTablespace(restored).string(), tablespace_oid_));
    GrantToPgRunUser(spec);
    return ShellQuote(restored.data_dir().string()) + " --restore-spec " +
           ShellQuote(spec.string());
  }
  static fs::path MovedTablespace(PgCluster& restored) { return restored.dir() / "ts_moved"; }

  // Restores the backup into a fresh cluster directory, tablespace moved by --restore-spec, starts
  // PostgreSQL on it and compares the dump.
  void FetchStartAndCompare(const CliRunner& cli, const std::string& backup) {
    PgCluster restored;
    fs::path ts = MovedTablespace(restored);
    auto r = Fetch(cli, MovedTablespaceArgs(restored) + " " + backup);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("restore_command"), std::string::npos) << r.err;  // the recovery hint
    EXPECT_FALSE(fs::exists(restored.data_dir() / "recovery.signal"));
    EXPECT_FALSE(fs::exists(restored.data_dir() / "tablespace_map"));  // --restore-spec
    EXPECT_EQ(fs::read_symlink(restored.data_dir() / "pg_tblspc" / tablespace_oid_), ts);
    restored.Start();
    EXPECT_EQ(restored.Query("SELECT answer FROM marker"), "42");
    EXPECT_EQ(restored.Query("SELECT count(*) FROM in_ts"), "1000");
    // The same dump, but for the tablespace's new location.
    std::string expected = *dump_;
    std::string old_location = (source_->dir() / "ts").string();
    for (size_t pos = 0; (pos = expected.find(old_location, pos)) != std::string::npos;) {
      expected.replace(pos, old_location.size(), ts.string());
      pos += ts.string().size();
    }
    ExpectSameDump(restored.DumpAll(), expected);
    restored.Stop();
  }

  static std::unique_ptr<PgCluster> source_;
  static std::unique_ptr<TempDir> tars_;
  static std::string tablespace_oid_;
  static std::string* dump_;
};

std::unique_ptr<PgCluster> BackupFetchIt::source_;
std::unique_ptr<TempDir> BackupFetchIt::tars_;
std::string BackupFetchIt::tablespace_oid_;
std::string* BackupFetchIt::dump_ = nullptr;

TEST_F(BackupFetchIt, Lz4AndLibsodiumFromADirectoryStartsAndMatches) {
  CliRunner cli;
  cli.UseFileStorage();
  cli.Set("WALG_COMPRESSION_METHOD", "lz4");
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  Upload(cli, ".lz4");
  FetchStartAndCompare(cli, "LATEST");
}

TEST_F(BackupFetchIt, BrotliFromS3ByUserDataStartsAndMatches) {
  CliRunner cli;
  cli.UseS3Storage("backup-fetch");
  cli.Set("WALG_COMPRESSION_METHOD", "brotli");
  cli.Set("WALG_DOWNLOAD_CONCURRENCY", "2");
  Upload(cli, ".br");
  PgCluster restored;
  // Without --restore-spec the sentinel's Spec places the tablespace at its original location,
  // which the source cluster still holds: refused, never mixed.
  auto r = Fetch(cli, ShellQuote(restored.data_dir().string()) + " LATEST");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not empty"), std::string::npos) << r.err;
  fs::remove_all(restored.data_dir());
  cli.Set("WALG_FETCH_TARGET_USER_DATA", "{\"run\": \"it\"}");
  FetchStartAndCompare(cli, "");
}

TEST_F(BackupFetchIt, ACorruptPartitionIsOneClearError) {
  CliRunner cli;
  cli.UseFileStorage();
  Upload(cli, ".lz4");
  fs::path part = fs::path(cli.storage_dir()) / "basebackups_005" / kBackupName /
                  "tar_partitions/part_002.tar.lz4";
  std::string bytes = ReadFile(part);
  bytes[bytes.size() / 2] ^= 0x5a;
  WriteFile(part, bytes);
  GrantToPgRunUser(part);
  PgCluster restored;
  auto r = Fetch(cli, MovedTablespaceArgs(restored) + " " + kBackupName);
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r, "part_002.tar.lz4");
  EXPECT_FALSE(fs::exists(restored.data_dir() / "global/pg_control"));
}

TEST_F(BackupFetchIt, AChecksumMismatchNamesTheFileAndNoPgControlIsWritten) {
  CliRunner cli;
  cli.UseFileStorage();
  Upload(cli, ".lz4", "base/1/1259");
  PgCluster restored;
  auto r = Fetch(cli, MovedTablespaceArgs(restored) + " LATEST");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("base/1/1259"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(kBackupName), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(restored.data_dir() / "global/pg_control"));
}

TEST_F(BackupFetchIt, RefusesANonEmptyTargetAndAnUnknownBackup) {
  CliRunner cli;
  cli.UseFileStorage();
  Upload(cli, ".lz4");
  PgCluster restored;
  MustRun(AsPgRunUser("mkdir -p " + ShellQuote(restored.data_dir().string()) + " && touch " +
                      ShellQuote((restored.data_dir() / "precious").string())));
  auto r = Fetch(cli, ShellQuote(restored.data_dir().string()) + " LATEST");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not empty"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(restored.data_dir() / "precious"));

  r = Fetch(cli,
            ShellQuote((restored.dir() / "other").string()) + " base_000000010000000000000009");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("base_000000010000000000000009"), std::string::npos) << r.err;
}

// kill -9 while the data parts are being written: pg_control is never there, so PostgreSQL
// cannot be started on the half-restored directory.
TEST_F(BackupFetchIt, KilledMidFetchLeavesNoPgControl) {
  CliRunner cli;
  cli.UseFileStorage();
  cli.Set("WALG_DOWNLOAD_CONCURRENCY", "1");
  Upload(cli, ".lz4");
  PgCluster restored;
  std::string base = ShellQuote((restored.data_dir() / "base").string());
  // The loop also ends when backup-fetch exits on its own, so a failure cannot hang the test.
  auto r = RunCommand(AsPgRunUser(
      cli.CommandLine("backup-fetch " + MovedTablespaceArgs(restored) + " LATEST") +
      " & pid=$!; while [ ! -e " + base + " ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done; " +
      "kill -9 $pid; wait $pid; echo status=$?"));
  EXPECT_NE(r.out.find("status=137"), std::string::npos) << r.out << r.err;
  EXPECT_TRUE(fs::exists(restored.data_dir() / "base"));
  EXPECT_FALSE(fs::exists(restored.data_dir() / "global/pg_control"));
}

// --- Checksums: every object of the backup is checked; WAL-G's backups still restore. ---

std::unique_ptr<Storage> StorageOf(const CliRunner& cli) {
  const Environment env(cli.variables().begin(), cli.variables().end());
  const Config config({}, env);
  return OpenStorage(config, LoadSettings(config));
}

// A changed user name in a tar header, its header checksum fixed: neither the tar format nor the
// files' SHA-256 can see it, only the object's checksum. Stored uncompressed, so that the damage
// can be placed.
TEST_F(BackupFetchIt, DamageOnlyTheObjectChecksumSeesFailsNamingThePart) {
  for (bool s3 : {false, true}) {
    CliRunner cli;
    if (s3) {
      cli.UseS3Storage("backup-fetch-checksum");
    } else {
      cli.UseFileStorage();
    }
    cli.Set("WALG_COMPRESSION_METHOD", "none");
    Upload(cli, "");
    RewriteObject(*StorageOf(cli),
                  std::string("basebackups_005/") + kBackupName + "/tar_partitions/part_001.tar",
                  AlterTarUserName);
    if (!s3) GrantToPgRunUser(cli.storage_dir());
    PgCluster restored;
    auto r = Fetch(cli, MovedTablespaceArgs(restored) + " " + kBackupName);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    ExpectOneErrorLine(r, {"tar_partitions/part_001.tar: content does not match its recorded "
                           "SHA-256"});
    EXPECT_FALSE(fs::exists(restored.data_dir() / "global/pg_control"));
  }
}

TEST_F(BackupFetchIt, ABackupWrittenByWalGRestoresWithOneUnverifiedLine) {
  CliRunner cli;
  cli.UseFileStorage();
  Upload(cli, ".lz4");
  // WAL-G records no checksums: drop every object's metadata.
  auto storage = StorageOf(cli);
  std::vector<std::string> keys;
  storage->List("basebackups_005/", {}, [&](const ObjectInfo& info) { keys.push_back(info.key); });
  ASSERT_EQ(keys.size(), 6u);
  for (const std::string& key : keys)
    RewriteObject(
        *storage, key, [](std::string&) {}, false);
  GrantToPgRunUser(cli.storage_dir());
  PgCluster restored;
  auto r = Fetch(cli, MovedTablespaceArgs(restored) + " LATEST");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(restored.data_dir() / "global/pg_control"));
  size_t unverified = 0;
  for (const std::string& line : Lines(r.err)) {
    if (line.find("could not be verified") == std::string::npos) continue;
    ++unverified;
    EXPECT_NE(line.find(std::string("backup ") + kBackupName + ": the content of 6 object(s)"),
              std::string::npos)
        << line;
  }
  EXPECT_EQ(unverified, 1u) << r.err;
}

TEST_F(BackupFetchIt, AnEncryptedBackupFetchedWithoutAKeyAsksForTheKey) {
  CliRunner cli;
  cli.UseFileStorage();
  cli.Set("WALG_COMPRESSION_METHOD", "brotli");
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  Upload(cli, ".br");
  cli.Unset("WALG_LIBSODIUM_KEY");
  cli.Unset("WALG_LIBSODIUM_KEY_TRANSFORM");
  PgCluster restored;
  auto r = Fetch(cli, MovedTablespaceArgs(restored) + " LATEST");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ExpectOneErrorLine(r, {".tar.br: the object is encrypted (libsodium); set WALG_LIBSODIUM_KEY or "
                         "WALG_LIBSODIUM_KEY_PATH"});
  EXPECT_FALSE(fs::exists(restored.data_dir() / "global/pg_control"));
}

}  // namespace
}  // namespace walnut::testing
