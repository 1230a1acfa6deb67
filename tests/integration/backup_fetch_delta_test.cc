// backup-fetch --delta with real PostgreSQL 15: a cluster restored from a backup, changed
// (updates, a dropped table, a new table, a dropped database), then restored again from the same
// backup into its own data directory must dump exactly what the source held at the backup and
// pass amcheck, with only the files that differed rewritten (counted against files_metadata.json's
// digests). Also: a delta chain; a running postmaster and another cluster refused; kill -9 midway
// leaves a directory PostgreSQL will not start, and a rerun completes it.

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "io/digest.h"
#include "support/backup_history.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/pg_checks.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string FileSha256(const fs::path& path) { return Digest::Of(AsBytes(ReadFile(path))).Hex(); }

// The regular files of a full backup's files_metadata.json whose content in `data` differs from
// the backup's (or that are missing there): what a delta restore has to rewrite, besides
// pg_control (always restored) and backup_label when the list does not hold it.
std::set<std::string> FilesDiffering(const WalnutConfig& config, const std::string& backup,
                                     const fs::path& data) {
  const Json files = BackupJson(config, backup + "/files_metadata.json").value("Files", Json{});
  std::set<std::string> differing;
  for (const auto& [path, file] : files.items()) {
    if (!file.contains("Sha256") || path == "/global/pg_control") continue;
    const fs::path local = data / path.substr(1);
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(local, ec)) ||
        FileSha256(local) != file["Sha256"].get<std::string>()) {
      differing.insert(path.substr(1));
    }
  }
  if (!files.contains("/backup_label")) differing.insert("backup_label");
  return differing;
}

// The numbers backup-fetch --delta logs: rewritten, kept, removed.
struct DeltaCounts {
  long rewritten = -1;
  long kept = -1;
  long removed = -1;
};

DeltaCounts ParseDeltaLine(const std::string& log) {
  std::smatch m;
  DeltaCounts counts;
  static const std::regex line(
      R"(delta restore: (\d+) file\(s\) rewritten, (\d+) kept as they were .*?, (\d+) entr)");
  if (std::regex_search(log, m, line)) {
    counts.rewritten = std::stol(m[1]);
    counts.kept = std::stol(m[2]);
    counts.removed = std::stol(m[3]);
  }
  return counts;
}

// ctime (ns) and mtime (s) of every regular file below `data`: a file written or touched gets a
// new ctime.
struct Times {
  int64_t ctime = 0;
  int64_t mtime = 0;
  bool operator==(const Times&) const = default;
};
std::map<std::string, Times> FileTimes(const fs::path& data) {
  std::map<std::string, Times> times;
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (!entry.is_regular_file()) continue;
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) == 0) {
      times[fs::relative(entry.path(), data).string()] = {
          st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec, st.st_mtim.tv_sec};
    }
  }
  return times;
}

class BackupFetchDeltaIt : public ::testing::Test {
 protected:
  CommandResult FetchDelta(const WalnutConfig& config, const PgCluster& target,
                           const std::string& backup, const std::string& flags = "--delta") {
    return config.Run("backup-fetch " + flags + " " + ShellQuote(target.data_dir().string()) + " " +
                      backup);
  }

  // Recovers `restored` (fetched from `taken`) to the backup's restore point and checks it.
  void RecoverAndCheck(const WalnutConfig& config, PgCluster& restored, const TakenBackup& taken,
                       const std::string& what) {
    SCOPED_TRACE(what);
    restored.Configure({"archive_mode = off",
                        "restore_command = " + ConfQuote(config.RestoreCommand()),
                        "recovery_target_name = " + ConfQuote(taken.restore_point),
                        "recovery_target_action = 'promote'"});
    restored.SignalRecovery();
    restored.Start();
    restored.WaitForPromotion(120);
    ExpectSameDumpAt(restored.DumpAll(), taken.dump, what);
    ExpectAmcheckClean(restored, what);
  }

  // A plain backup-fetch of `taken` into the empty `restored`, recovered and checked.
  void RestoreFresh(const WalnutConfig& config, PgCluster& restored, const TakenBackup& taken) {
    CommandResult r =
        config.Run("backup-fetch " + ShellQuote(restored.data_dir().string()) + " " + taken.name);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    RecoverAndCheck(config, restored, taken, "plain restore of " + taken.name);
  }

  // The changes a delta restore must undo: updated rows, a dropped table, a new table, a new
  // database; then a clean stop.
  void Change(PgCluster& cluster) {
    if (!cluster.running()) cluster.Start();
    cluster.Query("UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 50 = 0");
    cluster.Query("DROP TABLE keep_me");
    cluster.Query(
        "CREATE TABLE stranger AS SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
    cluster.Query("CREATE DATABASE extra");
    cluster.Query("CHECKPOINT");
    cluster.Stop();
  }

  BackupSource source_;
};

TEST_F(BackupFetchDeltaIt, ReRestoreOverAChangedClusterRewritesOnlyWhatDiffers_DirectoryLz4) {
  WalnutConfig config(TestStorage::kDirectory, "fetch-delta");
  config.SetCompression("lz4");
  source_.StartArchiving(config, 5);
  source_.Query(
      "CREATE TABLE keep_me AS SELECT g, repeat('k', 100) FROM generate_series(1, 3000) g");
  const TakenBackup full = source_.PushAndRecord(config);
  source_.ArchiveAll();
  source_.Stop();

  PgCluster restored;
  ASSERT_NO_FATAL_FAILURE(RestoreFresh(config, restored, full));
  CommandResult r;
  const std::string keep_me = restored.Query("SELECT pg_relation_filepath('keep_me')");

  // A live postmaster owns the directory: refused, nothing touched.
  r = FetchDelta(config, restored, full.name);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, {"is running in", restored.data_dir().string()});
  EXPECT_TRUE(fs::exists(restored.data_dir() / "global/pg_control"));

  Change(restored);
  ASSERT_FALSE(fs::exists(restored.data_dir() / keep_me)) << "precondition: dropped";
  const std::set<std::string> differing = FilesDiffering(config, full.name, restored.data_dir());
  const auto before = FileTimes(restored.data_dir());
  std::printf("[ measure ] %zu of %zu files differ from the backup\n", differing.size(),
              before.size());

  r = FetchDelta(config, restored, full.name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const DeltaCounts counts = ParseDeltaLine(r.err);
  ASSERT_GE(counts.rewritten, 0) << "no delta line in: " << r.err;
  // What differed (backup_label among them: the promotion renamed it), plus pg_control.
  EXPECT_EQ(static_cast<size_t>(counts.rewritten), differing.size() + 1) << r.err;
  EXPECT_GT(counts.kept, static_cast<long>(differing.size())) << r.err;
  EXPECT_GT(counts.removed, 0) << r.err;  // the new table's files, the new database, WAL
  EXPECT_TRUE(fs::exists(restored.data_dir() / keep_me)) << "the dropped table did not come back";
  // No equal file was written: a file whose ctime moved either differed or only got the
  // backup's mtime back (read, found equal, mtime reset).
  size_t touched = 0;
  for (const auto& [path, times] : FileTimes(restored.data_dir())) {
    auto it = before.find(path);
    if (it == before.end() || it->second == times) continue;
    ++touched;
    EXPECT_TRUE(differing.count(path) != 0 || it->second.mtime != times.mtime)
        << path << " was equal to the backup's and was written again";
  }
  std::printf("[ measure ] %zu files written or given their mtime back\n", touched);
  RecoverAndCheck(config, restored, full, "delta restore");

  // --delta-fast over the same directory after another change: the same result.
  Change(restored);
  r = FetchDelta(config, restored, full.name, "--delta-fast");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RecoverAndCheck(config, restored, full, "delta-fast restore");
  restored.Stop();

  // kill -9 midway (downloads slowed down): pg_control is gone first, so PostgreSQL refuses the
  // directory; a rerun completes it.
  Change(restored);
  config.Set("WALG_NETWORK_RATE_LIMIT", "2000000");
  const std::string control = ShellQuote((restored.data_dir() / "global/pg_control").string());
  CommandResult killed = RunCommand(AsPgRunUser(
      config.CommandLine("backup-fetch --delta " + ShellQuote(restored.data_dir().string()) + " " +
                         full.name) +
      " 2>/dev/null & pid=$!; while [ -e " + control +
      " ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done; sleep 0.5; kill -9 $pid; wait $pid; "
      "echo status=$?"));
  EXPECT_NE(killed.out.find("status=137"), std::string::npos)
      << "backup-fetch was not killed midway: " << killed.out << killed.err;
  config.Unset("WALG_NETWORK_RATE_LIMIT");
  EXPECT_FALSE(fs::exists(restored.data_dir() / "global/pg_control"));
  EXPECT_THROW(restored.Start(), std::exception)
      << "PostgreSQL started on a half-restored directory";
  r = FetchDelta(config, restored, full.name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RecoverAndCheck(config, restored, full, "rerun after kill -9");
  restored.Stop();

  // Another cluster's directory: refused, then replaced when asked.
  PgCluster other;
  other.InitDb();
  r = FetchDelta(config, other, full.name);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, {"system identifier", "--delta-other-cluster"});
  EXPECT_TRUE(fs::exists(other.data_dir() / "global/pg_control"));
  r = FetchDelta(config, other, full.name, "--delta --delta-other-cluster");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RecoverAndCheck(config, other, full, "over another cluster");

  // A directory that holds no cluster is never emptied.
  TempDir stray;
  GrantToPgRunUser(stray.path());
  WriteFile(stray.path() / "precious", "keep");
  GrantToPgRunUser(stray.path() / "precious");
  r = config.Run("backup-fetch --delta " + ShellQuote(stray.path().string()) + " " + full.name);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, {"holds no PostgreSQL data directory", stray.path().string()});
  EXPECT_EQ(ReadFile(stray.path() / "precious"), "keep");
}

// The flags' combinations: one line each, exit 2, before the storage is read.
TEST_F(BackupFetchDeltaIt, FlagCombinationsAreCheckedFirst) {
  WalnutConfig config(TestStorage::kDirectory, "fetch-delta-flags");
  CommandResult r = config.Run("backup-fetch --delta-other-cluster /nonexistent/data LATEST");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ExpectOneErrorLine(r, {"--delta-other-cluster", "--delta"});
  r = config.Run("backup-fetch --delta --delta-fast /nonexistent/data LATEST");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ExpectOneErrorLine(r, "--delta");
}

// A chain (full + delta): a directory restored from the full and changed is brought to the
// delta's state.
TEST_F(BackupFetchDeltaIt, ADeltaChainRestoresOverTheFullsDirectory_DirectoryZstd) {
  WalnutConfig config(TestStorage::kDirectory, "fetch-delta-chain");
  config.SetCompression("zstd");
  config.Set("WALG_DELTA_MAX_STEPS", "2");
  source_.StartArchiving(config, 2);
  source_.Query(
      "CREATE TABLE keep_me AS SELECT g, repeat('k', 100) FROM generate_series(1, 3000) g");
  const TakenBackup full = source_.PushAndRecord(config);
  source_.Pgbench("-n -c 1 -t 300");
  source_.Query("CREATE TABLE in_delta AS SELECT g FROM generate_series(1, 2000) g");
  const TakenBackup delta = source_.PushAndRecord(config);
  ASSERT_NE(delta.name.find("_D_"), std::string::npos) << delta.name;
  source_.ArchiveAll();
  source_.Stop();

  PgCluster restored;
  ASSERT_NO_FATAL_FAILURE(RestoreFresh(config, restored, full));
  Change(restored);
  CommandResult r = FetchDelta(config, restored, delta.name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const DeltaCounts counts = ParseDeltaLine(r.err);
  EXPECT_GT(counts.kept, 0) << r.err;
  RecoverAndCheck(config, restored, delta, "the delta over the full's directory");
}

}  // namespace
}  // namespace walnut::testing
