// The alert rules and the dashboard in a real Prometheus: node_exporter serves what the built
// binary's `walnut metrics --textfile` writes for directory storages holding one backup each,
// Prometheus scrapes it every second and evaluates deploy/prometheus/walnut-alerts.yml
// (backup-too-old threshold lowered to 60 s). The stack is the ctest fixture prometheus_up
// (tests/tools/prometheus-stack.sh), started once for the suite.

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "deploy/deploy_support.h"
#include "support/cli_runner.h"

namespace walnut::deploy_test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kFireTimeout = std::chrono::seconds(30);

// The fixture's DIR/env: PROMETHEUS_URL, NODE_EXPORTER_URL, TEXTFILE_DIR, START_SECONDS.
std::map<std::string, std::string> StackEnv() {
  fs::path file = fs::path(WALNUT_TEST_PROMETHEUS_DIR) / "env";
  if (!fs::exists(file)) {
    ADD_FAILURE() << file << " missing: run through ctest (fixture prometheus_up), or "
                  << "tests/tools/prometheus-stack.sh start " << WALNUT_TEST_PROMETHEUS_DIR;
    return {};
  }
  std::map<std::string, std::string> env;
  std::istringstream in(ReadFile(file));
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

nlohmann::json Get(const std::string& url, const std::string& query = "") {
  std::string command = "curl --silent --show-error --fail --max-time 5 -G " + ShellQuote(url);
  if (!query.empty()) command += " --data-urlencode " + ShellQuote("query=" + query);
  auto result = Shell(command);
  if (result.exit_code != 0) throw std::runtime_error(url + ": " + result.out);
  return nlohmann::json::parse(result.out);
}

// The `storage` labels of the firing alerts named `name`.
std::set<std::string> Firing(const std::string& prometheus, const std::string& name) {
  std::set<std::string> storages;
  nlohmann::json answer = Get(prometheus + "/api/v1/alerts");  // alive through the loop
  for (const auto& alert : answer.at("data").at("alerts")) {
    if (alert.at("labels").value("alertname", "") == name && alert.at("state") == "firing") {
      storages.insert(alert.at("labels").value("storage", ""));
    }
  }
  return storages;
}

// RFC 3339 in UTC, as a sentinel's StartTime and FinishTime.
std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// A directory storage holding one full backup that finished `age` ago (its sentinel, in WAL-G's
// format, put with the binary's `st put`; `walnut metrics` reads nothing else of a backup), and
// the textfile `walnut metrics --textfile` writes for it, moved into the stack's textfile
// directory as `file_name` (renamed within that directory: node_exporter never sees it half
// written). The textfile is removed at the end, so that later tests see only their own.
class MeasuredStorage {
 public:
  MeasuredStorage(std::chrono::seconds age, const fs::path& textfile_dir,
                  const std::string& file_name)
      : textfile_(textfile_dir / file_name) {
    cli_.UseFileStorage();
    // No database: walnut_pg_up 0 at once instead of a connection attempt.
    cli_.Set("PGHOST", "/nonexistent-socket-dir");
    const auto finish = std::chrono::system_clock::now() - age;
    const nlohmann::json sentinel = {{"LSN", 0x2000028},
                                     {"FinishLSN", 0x2000100},
                                     {"PgVersion", 150004},
                                     {"SystemIdentifier", 7300000000000000001},
                                     {"UncompressedSize", 1000},
                                     {"CompressedSize", 100},
                                     {"Version", 2},
                                     {"StartTime", Rfc3339(finish - std::chrono::seconds(10))},
                                     {"FinishTime", Rfc3339(finish)},
                                     {"DateFmt", "%Y-%m-%dT%H:%M:%S.%fZ"},
                                     {"Hostname", "live"},
                                     {"DataDir", "/pgdata"},
                                     {"IsPermanent", false}};
    auto put = cli_.Run(
        "st put --no-compress --no-encrypt - "
        "basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json",
        sentinel.dump());
    EXPECT_EQ(put.exit_code, 0) << put.err;

    // A directory of its own inside the textfile directory (node_exporter reads only *.prom
    // files there), so that the rename stays on one file system.
    const fs::path scratch = textfile_dir / (file_name + ".d");
    fs::create_directories(scratch);
    auto metrics = cli_.Run("metrics --textfile " + ShellQuote(scratch.string()));
    EXPECT_EQ(metrics.exit_code, 0) << metrics.err;
    std::error_code error;
    fs::rename(scratch / "walnut.prom", textfile_, error);
    EXPECT_FALSE(error) << scratch / "walnut.prom" << " -> " << textfile_ << ": " << error.message();
    fs::remove_all(scratch, error);
  }
  ~MeasuredStorage() {
    std::error_code ignored;
    fs::remove(textfile_, ignored);
  }
  MeasuredStorage(const MeasuredStorage&) = delete;
  MeasuredStorage& operator=(const MeasuredStorage&) = delete;

  // The `storage` label Walnut gives it.
  std::string label() const { return "file://" + cli_.storage_dir(); }
  const fs::path& textfile() const { return textfile_; }

 private:
  testing::CliRunner cli_;
  fs::path textfile_;
};

TEST(PrometheusLive, BackupTooOldFiresForTheOldBackupOnly) {
  auto env = StackEnv();
  ASSERT_FALSE(env.empty());
  std::cout << "monitoring stack started in " << env["START_SECONDS"] << " s\n";
  const std::string id = std::to_string(::getpid());
  const fs::path textfile_dir = env["TEXTFILE_DIR"];
  MeasuredStorage old_storage(std::chrono::hours(1), textfile_dir, "walnut_live_old_" + id + ".prom");
  MeasuredStorage fresh_storage(std::chrono::seconds(5), textfile_dir,
                                "walnut_live_fresh_" + id + ".prom");

  for (const auto* storage : {&old_storage, &fresh_storage}) {
    // What Walnut wrote: the backup's finish time under the storage's label, and a file that
    // promtool reads as Prometheus would.
    const std::string text = ReadFile(storage->textfile());
    EXPECT_NE(text.find("walnut_backup_last_finish_timestamp_seconds{storage=\"" +
                        storage->label() + "\",type=\"full\"} "),
              std::string::npos)
        << text;
    auto lint = Shell("promtool check metrics < " + ShellQuote(storage->textfile().string()));
    EXPECT_EQ(lint.exit_code, 0) << lint.out;
  }

  const auto started = Clock::now();
  std::set<std::string> firing;
  while (Clock::now() - started < kFireTimeout) {
    firing = Firing(env["PROMETHEUS_URL"], "WalnutBackupTooOld");
    if (firing.count(old_storage.label()) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "WalnutBackupTooOld fired after " << seconds << " s\n";
  EXPECT_EQ(firing.count(old_storage.label()), 1u)
      << "not firing within " << kFireTimeout.count()
      << " s: " << Get(env["PROMETHEUS_URL"] + "/api/v1/alerts").dump();
  EXPECT_EQ(firing.count(fresh_storage.label()), 0u) << "a backup 5 s old must not fire";

  // node_exporter served the files without complaint.
  auto scraped = Shell("curl --silent --fail " + ShellQuote(env["NODE_EXPORTER_URL"] + "/metrics"));
  EXPECT_NE(scraped.out.find("node_textfile_scrape_error 0"), std::string::npos) << scraped.out;
}

TEST(PrometheusLive, EveryDashboardExpressionEvaluates) {
  auto env = StackEnv();
  ASSERT_FALSE(env.empty());
  auto exprs = DashboardExpressions(SourceDir() / "deploy/grafana/walnut-dashboard.json");
  ASSERT_FALSE(exprs.empty());
  for (auto expr : exprs) {
    // Grafana's variables, as Grafana substitutes them for "All" and a one-minute step.
    expr = std::regex_replace(expr, std::regex(R"(\$storage)"), ".*");
    expr = std::regex_replace(expr, std::regex(R"(\$__rate_interval)"), "1m");
    nlohmann::json answer;
    try {
      answer = Get(env["PROMETHEUS_URL"] + "/api/v1/query", expr);
    } catch (const std::exception& e) {
      ADD_FAILURE() << expr << ": " << e.what();
      continue;
    }
    EXPECT_EQ(answer.value("status", ""), "success") << expr << ": " << answer.dump();
  }
}

}  // namespace
}  // namespace walnut::deploy_test
