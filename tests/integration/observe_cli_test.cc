// walnut check, walnut metrics and the statsd push, through the binary against a real
// PostgreSQL 15 on a directory and on the fixture's s3rver: check passes on a cluster archiving
// with Walnut and names the cause when archive_mode is off, archive_command is not Walnut's or
// fails, or the storage belongs to another cluster; metrics pass `promtool check metrics`, count
// a full and a delta backup, and a real node_exporter serves the textfile without a scrape error.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/backup_history.h"
#include "support/cli_runner.h"
#include "support/pg_cluster.h"
#include "support/test_util.h"
#include "support/udp_listener.h"
#include "support/walnut_config.h"

extern char** environ;

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

// A free TCP or UDP port on 127.0.0.1 (bound, then released).
int FreePort(int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The value of the sample `series` (name and labels as printed) in `text`, or nullopt.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  for (const auto& line : Lines(text)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

std::string FailedLines(const std::string& out) {
  std::string failed;
  for (const auto& line : Lines(out)) {
    if (line.starts_with("FAILED")) failed += line + "\n";
  }
  return failed;
}

// One node_exporter for the suite, serving only its textfile collector from a directory.
class ObserveCliTest : public ::testing::TestWithParam<TestStorage> {
 protected:
  static void SetUpTestSuite() {
    textfile_dir_ = new TempDir();
    GrantToPgRunUser(textfile_dir_->path());
    exporter_port_ = FreePort(SOCK_STREAM);
    std::vector<std::string> args{"prometheus-node-exporter", "--collector.disable-defaults",
                                  "--collector.textfile",
                                  "--collector.textfile.directory=" + textfile_dir_->str(),
                                  "--web.listen-address=127.0.0.1:" +
                                      std::to_string(exporter_port_)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&exporter_pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
      exporter_pid_ = 0;
    }
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 100 && exporter_pid_ > 0; ++i) {
      if (Scrape().find("node_textfile_scrape_error") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  static void TearDownTestSuite() {
    if (exporter_pid_ > 0) {
      ::kill(exporter_pid_, SIGTERM);
      ::waitpid(exporter_pid_, nullptr, 0);
    }
    delete textfile_dir_;
    textfile_dir_ = nullptr;
  }

  static std::string Scrape() {
    return RunCommand("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(exporter_port_) +
                      "/metrics")
        .out;
  }

  void SetUp() override { WALNUT_SKIP_UNLESS_AVAILABLE(GetParam()); }

  // A cluster archiving into `config`'s storage with Walnut (no pgbench: quick).
  static void StartArchiving(PgCluster& cluster, const WalnutConfig& config,
                             const std::string& archive_command = "",
                             const std::string& archive_mode = "on") {
    cluster.InitDb();
    cluster.Configure({"wal_level = replica", "archive_mode = " + archive_mode,
                       "archive_command = " +
                           ConfQuote(archive_command.empty() ? config.ArchiveCommand()
                                                             : archive_command),
                       "archive_timeout = 0"});
    cluster.Start();
  }

  static CommandResult Walnut(const PgCluster& cluster, const WalnutConfig& config,
                              const std::string& args) {
    return cluster.Run(config.CommandLine(args));
  }

  static TempDir* textfile_dir_;
  static int exporter_port_;
  static pid_t exporter_pid_;
};

TempDir* ObserveCliTest::textfile_dir_ = nullptr;
int ObserveCliTest::exporter_port_ = 0;
pid_t ObserveCliTest::exporter_pid_ = 0;

TEST_P(ObserveCliTest, CheckPassesOnAClusterArchivingWithWalnut) {
  WalnutConfig config(GetParam(), "observe-check-ok");
  PgCluster cluster;
  StartArchiving(cluster, config);
  CommandResult r = Walnut(cluster, config, "check --timeout 60");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(FailedLines(r.out), "");
  for (const char* name : {"connection", "archive_mode", "archive_command", "storage",
                           "wal archived", "system identifier", "archiver"}) {
    EXPECT_NE(r.out.find(std::string("ok      ") + name + ":"), std::string::npos)
        << name << " missing in:\n" << r.out;
  }
  // The segment it switched to is in the storage, and the identity was recorded by wal-push.
  EXPECT_NE(r.out.find("recorded in"), std::string::npos) << r.out;
}

TEST_P(ObserveCliTest, CheckNamesArchiveModeOff) {
  WalnutConfig config(GetParam(), "observe-check-mode");
  PgCluster cluster;
  StartArchiving(cluster, config, "", "off");
  CommandResult r = Walnut(cluster, config, "check --timeout 5");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAILED  archive_mode: is 'off'; set archive_mode = on"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ok      storage:"), std::string::npos) << r.out;
}

TEST_P(ObserveCliTest, CheckNamesAnArchiveCommandThatIsNotWalnuts) {
  WalnutConfig config(GetParam(), "observe-check-false");
  PgCluster cluster;
  StartArchiving(cluster, config, "false");
  CommandResult r = Walnut(cluster, config, "check --timeout 5");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAILED  archive_command: 'false' does not call wal-push of walnut or "
                       "wal-g; set archive_command"),
            std::string::npos)
      << r.out;
}

TEST_P(ObserveCliTest, CheckNamesAWalPushThatFailsAndTheArchiverFailure) {
  WalnutConfig config(GetParam(), "observe-check-broken");
  PgCluster cluster;
  // Walnut's wal-push, but with a config file that does not exist: every push fails.
  StartArchiving(cluster, config,
                 WalnutBinary() + " --config /nonexistent/walnut.json wal-push %p");
  CommandResult r = Walnut(cluster, config, "check --timeout 5");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("ok      archive_command:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED  wal archived: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("did not reach"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED  archiver: pg_stat_archiver: archiving 0000000100000000000000"),
            std::string::npos)
      << r.out;
}

TEST_P(ObserveCliTest, CheckNamesAStorageOfAnotherCluster) {
  WalnutConfig config(GetParam(), "observe-check-other");
  {
    PgCluster first;
    StartArchiving(first, config);
    first.WaitForArchived(first.SwitchWal(), 60);
  }
  PgCluster second;
  StartArchiving(second, config);
  CommandResult r = Walnut(second, config, "check --timeout 5");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAILED  system identifier: the archive belongs to database system "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("point this cluster at a storage of its own"), std::string::npos) << r.out;
}

TEST_P(ObserveCliTest, MetricsOfAFullAndADeltaBackupPassPromtoolAndNodeExporterServesThem) {
  ASSERT_GT(exporter_pid_, 0) << "prometheus-node-exporter did not start";
  WalnutConfig config(GetParam(), "observe-metrics");
  config.Set("WALG_DELTA_MAX_STEPS", "1");
  BackupSource cluster;
  cluster.StartArchiving(config);
  const std::string full = cluster.Push(config, "", false);
  cluster.Query("CREATE TABLE more AS SELECT g FROM generate_series(1, 10000) g");
  const std::string delta = cluster.Push(config, "", false);
  ASSERT_NE(delta.find("_D_"), std::string::npos) << delta;
  cluster.ArchiveAll();

  CommandResult r = Walnut(cluster, config, "metrics");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CommandResult promtool = RunCommand("promtool check metrics", r.out);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err << r.out;

  // The storage label: the storage's URL.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"re(walnut_up\{storage="([^"]+)"\} 1)re")))
      << r.out;
  const std::string st = "storage=\"" + m[1].str() + "\"";
  if (GetParam() == TestStorage::kDirectory) {
    EXPECT_EQ(m[1].str(), "file://" + config.storage_dir().string());
  } else {
    std::string prefix = config.Setting("WALG_S3_PREFIX");
    while (prefix.ends_with("/")) prefix.pop_back();
    EXPECT_EQ(m[1].str(), prefix) << "the storage URL, without credentials";
  }
  EXPECT_EQ(Sample(r.out, "walnut_backups{" + st + ",type=\"full\"}"), 1) << r.out;
  EXPECT_EQ(Sample(r.out, "walnut_backups{" + st + ",type=\"delta\"}"), 1) << r.out;
  EXPECT_EQ(Sample(r.out, "walnut_pg_up{" + st + "}"), 1) << r.out;

  // The values are the sentinels' (backup-list --detail --json).
  CommandResult list = Walnut(cluster, config, "backup-list --detail --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto start = Sample(r.out, "walnut_backup_last_start_timestamp_seconds{" + st + ",type=\"full\"}");
  auto finish = Sample(r.out, "walnut_backup_last_finish_timestamp_seconds{" + st + ",type=\"full\"}");
  ASSERT_TRUE(start && finish) << r.out;
  EXPECT_GE(*finish, *start);
  EXPECT_NEAR(*start, std::chrono::duration<double>(
                          std::chrono::system_clock::now().time_since_epoch()).count(), 600);
  // The oldest backup is the full one; a restore can reach its end at the earliest.
  EXPECT_EQ(Sample(r.out, "walnut_oldest_recoverable_timestamp_seconds{" + st + "}"), finish);
  auto compressed =
      Sample(r.out, "walnut_backup_last_compressed_size_bytes{" + st + ",type=\"delta\"}");
  ASSERT_TRUE(compressed);
  EXPECT_NE(list.out.find("\"compressed_size\":" + std::to_string(static_cast<int64_t>(*compressed))),
            std::string::npos)
      << list.out;

  // WAL: every segment object counted; the newest archived one ends at or before the write
  // position.
  size_t segments = 0;
  for (const auto& name : config.ListObjects("wal_005")) {
    // "<24 hex digits>.<compression>": a segment (not a .backup or .partial file).
    if (name.size() > 25 && name.find_first_not_of("0123456789ABCDEF") == 24 && name[24] == '.' &&
        name.find('.', 25) == std::string::npos && !name.ends_with(".partial"))
      ++segments;
  }
  EXPECT_EQ(Sample(r.out, "walnut_wal_archived_segments{" + st + "}"), segments) << r.out;
  auto lag = Sample(r.out, "walnut_archive_lag_bytes{" + st + "}");
  ASSERT_TRUE(lag) << r.out;
  EXPECT_LT(*lag, 16 << 20) << "everything was archived but the current segment";
  EXPECT_GT(*Sample(r.out, "walnut_storage_size_bytes{" + st + ",kind=\"backups\"}"), 0);
  EXPECT_GT(*Sample(r.out, "walnut_storage_size_bytes{" + st + ",kind=\"wal\"}"), 0);
  EXPECT_GT(*Sample(r.out, "walnut_archiver_archived_total{" + st + "}"), 0);

  // --textfile: DIR/walnut.prom, 0644, served by node_exporter without a scrape error.
  CommandResult t = Walnut(cluster, config, "metrics --textfile " + textfile_dir_->str());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const fs::path prom = textfile_dir_->path() / "walnut.prom";
  ASSERT_TRUE(fs::exists(prom));
  EXPECT_EQ(fs::status(prom).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
  const std::string scraped = Scrape();
  EXPECT_EQ(Sample(scraped, "node_textfile_scrape_error"), 0) << scraped;
  EXPECT_EQ(Sample(scraped, "walnut_backups{" + st + ",type=\"full\"}"), 1) << scraped;
  fs::remove(prom);
}

TEST_P(ObserveCliTest, MetricsWithTheDatabaseDownIsPgUpZeroAndExitZero) {
  WalnutConfig config(GetParam(), "observe-metrics-down");
  config.Set("PGHOST", "/nonexistent-socket-dir");
  CommandResult r = config.Run("metrics");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("walnut_pg_up{"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("} 0\n"), std::string::npos) << r.out;
  std::smatch m;
  EXPECT_TRUE(std::regex_search(r.out, m, std::regex(R"re(walnut_pg_up\{[^}]*\} 0)re"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, m, std::regex(R"re(walnut_up\{[^}]*\} 1)re"))) << r.out;
  EXPECT_EQ(RunCommand("promtool check metrics", r.out).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Storages, ObserveCliTest,
                         ::testing::Values(TestStorage::kDirectory, TestStorage::kS3,
                                           TestStorage::kRgw),
                         [](const auto& param_info) { return TestStorageName(param_info.param); });

// WALG_STATSD_ADDRESS: the binary sends WAL-G's counters to a UDP socket at the end of a command.
TEST(StatsdCliTest, StPutSendsWalGsUploaderCountersWithTheExtraTags) {
  UdpListener statsd;
  CliRunner cli;
  cli.UseS3Storage("observe-statsd");
  cli.Set("WALG_STATSD_ADDRESS", statsd.address());
  cli.Set("WALG_STATSD_EXTRA_TAGS", R"({"env": "test"})");
  CommandResult r = cli.Run("st put - statsd/object", "some bytes");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string datagram = statsd.Receive();
  ASSERT_FALSE(datagram.empty()) << "no statsd datagram";
  EXPECT_NE(datagram.find("walg_uploader_uploaded_files_total,env=test:1|c"), std::string::npos)
      << datagram;
  EXPECT_NE(datagram.find("walg_uploader_uploaded_files_failed_total,env=test:0|c"),
            std::string::npos)
      << datagram;
  EXPECT_NE(datagram.find("walg_s3_response_,code=200,env=test:"), std::string::npos) << datagram;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(datagram, m, std::regex(R"re(walg_s3_bytes_written,env=test:(\d+)\|g)re")))
      << datagram;
  EXPECT_GT(std::stoll(m[1].str()), 0);

  // A bad tag object is refused before the command runs, naming the setting.
  cli.Set("WALG_STATSD_EXTRA_TAGS", "[1]");
  CommandResult bad = cli.Run("st put - statsd/other", "x");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("WALG_STATSD_EXTRA_TAGS"), std::string::npos) << bad.err;
}

// A command that fails still sends its counters: an upload into a bucket that does not exist
// counts its S3 answers and its failed upload.
TEST(StatsdCliTest, AFailedCommandStillSendsItsCounters) {
  UdpListener statsd;
  CliRunner cli;
  cli.UseS3Storage("observe-statsd-failed");
  cli.Set("WALG_S3_PREFIX", "s3://walnut-it-no-such-bucket/pg");
  cli.Set("WALG_STATSD_ADDRESS", statsd.address());
  CommandResult r = cli.Run("st put - statsd/object", "some bytes");
  ASSERT_NE(r.exit_code, 0) << r.err;

  const std::string datagram = statsd.Receive();
  ASSERT_FALSE(datagram.empty()) << "no statsd datagram after the failed command: " << r.err;
  EXPECT_NE(datagram.find("walg_uploader_uploaded_files_failed_total:1|c"), std::string::npos)
      << datagram;
  EXPECT_NE(datagram.find("walg_s3_response_,code=404:"), std::string::npos) << datagram;
}

}  // namespace
}  // namespace walnut::testing
