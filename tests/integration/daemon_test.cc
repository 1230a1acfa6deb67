// `walnut daemon` with a real PostgreSQL 15: archive_command and restore_command through
// walnut-daemon-client, the archive compared byte for byte with what `walnut wal-fetch` gives, a
// daemon killed with SIGKILL while PostgreSQL archives, and a stopped (hung) daemon.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/background_command.h"
#include "support/pg_cluster.h"
#include "support/test_config.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool IsSegmentName(const std::string& name) {
  return name.size() == 24 && name.find_first_not_of("0123456789ABCDEF") == std::string::npos;
}

template <class Fn>
bool WaitFor(Fn condition, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string Client() { return WALNUT_TEST_DAEMON_CLIENT; }

// The parent of `pid` (/proc/PID/stat's fourth field), or 0.
pid_t ParentOf(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t end = stat.rfind(')');
  if (end == std::string::npos) return 0;
  char state = 0;
  int parent = 0;
  return std::sscanf(stat.c_str() + end + 1, " %c %d", &state, &parent) == 2 ? parent : 0;
}

// `walnut daemon SOCKET` for the cluster in `pgdata`, run in the background as PgRunUser().
class Daemon {
 public:
  Daemon(const WalnutConfig& config, const fs::path& pgdata, const std::string& socket)
      : socket_(socket),
        command_(config.IsolatedCommandLine("--pgdata=" + ShellQuote(pgdata.string()) +
                                            " daemon " + ShellQuote(socket))) {
    Start();
  }
  // BackgroundCommand kills only a command whose pid it has read.
  ~Daemon() {
    if (process_) process_->Kill();
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  void Start() {
    process_ = std::make_unique<BackgroundCommand>(command_);
    process_->Pid();
    // Listening once a client's check is answered.
    bool up = WaitFor(
        [&] {
          return RunCommand(AsPgRunUser(Client() + " " + ShellQuote(socket_) +
                                        " wal-fetch 000000FF00000000000000FF pg_wal/probe "
                                        "--timeout 2s"))
                     .exit_code == 74;
        },
        std::chrono::seconds(20));
    if (!up) {
      process_->Kill();
      CommandResult r = process_->Wait();
      FAIL() << "the daemon did not come up: " << r.err;
    }
  }
  BackgroundCommand& process() { return *process_; }
  // SIGTERM, then its exit status and output.
  CommandResult Terminate() {
    ::kill(process_->Pid(), SIGTERM);
    return process_->Wait();
  }

 private:
  std::string socket_;
  std::string command_;
  std::unique_ptr<BackgroundCommand> process_;
};

std::string WriteAndSwitch(const PgCluster& pg) {
  pg.Query(
      "CREATE TABLE IF NOT EXISTS switches (at timestamptz); INSERT INTO switches VALUES (now())");
  return pg.SwitchWal();
}

// The WAL names stored in wal_005 (extension removed) of a directory storage, without temporary
// files.
std::set<std::string> StoredWal(const WalnutConfig& config) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config.storage_dir() / "wal_005", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    names.insert(name.substr(0, name.rfind('.')));
  }
  return names;
}

// Every segment PostgreSQL reports archived is stored, and `walnut wal-fetch` gives back the
// bytes of pg_wal; at least one is compared unless `may_be_none`.
void ExpectArchivedSegmentsStoredIdentically(const PgCluster& pg, const WalnutConfig& config,
                                             bool may_be_none = false) {
  std::set<std::string> stored = StoredWal(config);
  TempDir restore;
  GrantToPgRunUser(restore.path());
  int compared = 0;
  for (const std::string& name : pg.ArchivedFiles()) {
    EXPECT_TRUE(stored.count(name)) << name << " is reported archived but is not in the storage";
    if (!IsSegmentName(name)) continue;
    fs::path original = pg.data_dir() / "pg_wal" / name;
    if (!fs::exists(original)) continue;  // recycled
    fs::path fetched = restore.path() / name;
    CommandResult r = config.Run("wal-fetch " + name + " " + ShellQuote(fetched.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(ReadFile(fetched) == ReadFile(original)) << name << " differs from the archive";
    ++compared;
  }
  if (!may_be_none) {
    EXPECT_GT(compared, 0);
  }
}

struct DaemonSetup {
  DaemonSetup() : config(TestStorage::kDirectory, "daemon") {
    config.SetCompression("lz4");
    config.SetLibsodiumKey(kTestLibsodiumKeyHex);
    GrantToPgRunUser(sockets.path());
  }
  std::string Socket(const std::string& name) const { return (sockets.path() / name).string(); }

  WalnutConfig config;
  TempDir sockets;
};

// Starts `pg` (after InitDb) archiving through the client to the daemon on `socket`.
void StartArchivingThroughClient(PgCluster& pg, const std::string& socket) {
  pg.Configure({"archive_mode = on",
                "archive_command = " +
                    ConfQuote(Client() + " " + ShellQuote(socket) + " wal-push %p --timeout 30s"),
                "wal_keep_size = '1GB'", "max_wal_size = '1GB'", "fsync = off"});
  pg.Start();
}

// PostgreSQL archives through the client, a second cluster recovers through it (from its own
// daemon, whose PGDATA is that cluster's), and both hold the same data.
TEST(DaemonIntegrationTest, ArchivesAndRecoversThroughTheClient) {
  DaemonSetup setup;
  PgCluster pg;
  pg.InitDb();
  Daemon daemon(setup.config, pg.data_dir(), setup.Socket("primary.sock"));
  StartArchivingThroughClient(pg, setup.Socket("primary.sock"));
  PgCluster restored;
  pg.BaseBackup(restored.data_dir());
  pg.Pgbench("-i -s 1 -q");
  for (int i = 0; i < 3; ++i) WriteAndSwitch(pg);
  pg.WaitForArchived(WriteAndSwitch(pg), 60);
  EXPECT_EQ(pg.Archiver().failed_count, 0) << pg.ServerLog();
  ExpectArchivedSegmentsStoredIdentically(pg, setup.config);

  Daemon restoring(setup.config, restored.data_dir(), setup.Socket("restore.sock"));
  restored.Configure(
      {"restore_command = " + ConfQuote(Client() + " " + ShellQuote(setup.Socket("restore.sock")) +
                                        " wal-fetch %f %p"),
       "recovery_target_action = 'promote'", "archive_mode = off"});
  restored.SignalRecovery();
  restored.Start();
  restored.WaitForPromotion(90);
  EXPECT_TRUE(restored.DumpAll() == pg.DumpAll()) << "the recovered cluster's data differs";
  CommandResult restore_log = restoring.Terminate();
  EXPECT_NE(restore_log.err.find(": restored to pg_wal/RECOVERYXLOG"), std::string::npos)
      << restore_log.err;

  CommandResult stopped = daemon.Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_FALSE(fs::exists(setup.Socket("primary.sock")));
  EXPECT_NE(stopped.err.find("archived in"), std::string::npos) << stopped.err;
}

// The daemon dies by SIGKILL while PostgreSQL archives (at the first upload seen under way):
// the archiver's calls fail, nothing is reported archived that is not stored, and a new daemon on
// the same socket path (the stale socket removed) lets archiving resume by itself.
TEST(DaemonIntegrationTest, KilledDaemonLosesNothingAndArchivingResumes) {
  DaemonSetup setup;
  const std::string socket = setup.Socket("d.sock");
  PgCluster pg;
  pg.InitDb();
  Daemon daemon(setup.config, pg.data_dir(), socket);
  StartArchivingThroughClient(pg, socket);
  fs::path wal_dir = setup.config.storage_dir() / "wal_005";
  std::atomic<bool> mid_upload{false};
  std::atomic<bool> done{false};
  std::thread killer([&] {
    // Kill once a temporary file shows an upload under way, else after 2 segments are stored.
    while (!done) {
      std::error_code ec;
      size_t stored = 0;
      for (const auto& entry : fs::directory_iterator(wal_dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.find("walnut-tmp") != std::string::npos) mid_upload = true;
        stored += name[0] != '.' ? 1 : 0;
      }
      if (mid_upload || stored >= 3) break;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    daemon.process().Kill();
  });
  pg.Pgbench("-i -s 2 -q");
  WriteAndSwitch(pg);
  done = true;
  killer.join();
  std::cout << "[          ] killed " << (mid_upload ? "during an upload" : "between uploads")
            << "\n";
  CommandResult killed = daemon.process().Wait();
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
  // Calls made while it is down fail at once.
  std::string pending = WriteAndSwitch(pg);
  ASSERT_TRUE(WaitFor([&] { return pg.Archiver().failed_count > 0; }, std::chrono::seconds(30)))
      << pg.ServerLog();
  ExpectArchivedSegmentsStoredIdentically(pg, setup.config, /*may_be_none=*/true);

  daemon.Start();  // the killed daemon's socket file is still there
  pg.WaitForArchived(WriteAndSwitch(pg), 90);
  ExpectArchivedSegmentsStoredIdentically(pg, setup.config);
  std::vector<std::string> archived = pg.ArchivedFiles();
  EXPECT_TRUE(std::find(archived.begin(), archived.end(), pending) != archived.end());
  EXPECT_EQ(daemon.Terminate().exit_code, 0);
}

// A daemon that hangs (SIGSTOP: the socket accepts into its backlog, nothing answers): the
// client fails at its --timeout with one line; a daemon that is gone fails at once.
TEST(DaemonIntegrationTest, HungOrMissingDaemonFailsTheClientInTime) {
  DaemonSetup setup;
  const std::string socket = setup.Socket("hung.sock");
  TempDir pgdata;
  fs::create_directories(pgdata.path() / "pg_wal");
  GrantToPgRunUser(pgdata.path());
  Daemon daemon(setup.config, pgdata.path(), socket);
  const std::string fetch = Client() + " " + ShellQuote(socket) +
                            " wal-fetch 000000010000000000000001 pg_wal/RECOVERYXLOG";
  EXPECT_EQ(RunCommand(AsPgRunUser(fetch)).exit_code, 74);

  // runuser, the daemon's parent, stops itself when its child stops (as a shell's job control
  // expects): both are continued afterwards.
  const pid_t daemon_pid = daemon.process().Pid();
  const pid_t runuser_pid = ParentOf(daemon_pid);
  ASSERT_EQ(::kill(daemon_pid, SIGSTOP), 0);
  Clock::time_point start = Clock::now();
  CommandResult hung = RunCommand(AsPgRunUser(fetch + " --timeout 1500ms"));
  auto took = Clock::now() - start;
  ::kill(daemon_pid, SIGCONT);
  if (runuser_pid > 1) ::kill(runuser_pid, SIGCONT);
  EXPECT_EQ(hung.exit_code, 1) << hung.err;
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::seconds(6));
  EXPECT_NE(hung.err.find("did not answer within 1.5s"), std::string::npos) << hung.err;

  EXPECT_EQ(daemon.Terminate().exit_code, 0);
  start = Clock::now();
  CommandResult gone = RunCommand(AsPgRunUser(fetch));
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(gone.err.find(socket), std::string::npos) << gone.err;
  // A wal-push path outside pg_wal is refused rather than archiving another file.
  CommandResult elsewhere =
      RunCommand(AsPgRunUser(Client() + " " + ShellQuote(socket) + " wal-push /tmp/x/000000010000000000000001"));
  EXPECT_EQ(elsewhere.exit_code, 1);
  EXPECT_NE(elsewhere.err.find("file of pg_wal"), std::string::npos) << elsewhere.err;
}

}  // namespace
}  // namespace walnut::testing
