// The alert rules and the dashboard in a real Prometheus: node_exporter serves a textfile written
// with metrics/exposition.h, Prometheus scrapes it every second and evaluates
// deploy/prometheus/walnut-alerts.yml (backup-too-old threshold lowered to 60 s). The stack is the
// ctest fixture prometheus_up (tests/tools/prometheus-stack.sh), started once for the suite.

#include <chrono>
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
#include "localfs/local_fs.h"
#include "metrics/exposition.h"
#include "metrics/families.h"

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

// Removes the test's textfile at the end, so that later tests of the suite see only their own.
class Textfile {
 public:
  explicit Textfile(fs::path path) : path_(std::move(path)) {}
  ~Textfile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(PrometheusLive, BackupTooOldFiresForTheOldBackupOnly) {
  auto env = StackEnv();
  ASSERT_FALSE(env.empty());
  std::cout << "monitoring stack started in " << env["START_SECONDS"] << " s\n";
  const std::string id = std::to_string(::getpid());
  const std::string old_storage = "file:///live-old-" + id;
  const std::string fresh_storage = "s3://live-fresh-" + id + "/pg";
  const double now = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());

  // The families as `walnut metrics` declares them (metrics/families.h: the same help texts).
  metrics::Exposition exposition;
  for (const auto& [storage, age] :
       {std::pair<std::string, double>{old_storage, 3600}, {fresh_storage, 5}}) {
    metrics::AddSample(exposition, metrics::kUp, {{"storage", storage}}, 1);
    metrics::AddSample(exposition, metrics::kBackupLastFinish,
                       {{"storage", storage}, {"type", "full"}}, now - age);
  }
  Textfile textfile{fs::path(env["TEXTFILE_DIR"]) / ("walnut_live_" + id + ".prom")};
  metrics::WriteTextfile(LocalFs::Default(), env["TEXTFILE_DIR"],
                         textfile.path().filename().string(), exposition.Text());

  // promtool reads the file as Prometheus would.
  auto lint = Shell("promtool check metrics < " + ShellQuote(textfile.path().string()));
  EXPECT_EQ(lint.exit_code, 0) << lint.out;

  const auto started = Clock::now();
  std::set<std::string> firing;
  while (Clock::now() - started < kFireTimeout) {
    firing = Firing(env["PROMETHEUS_URL"], "WalnutBackupTooOld");
    if (firing.count(old_storage) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "WalnutBackupTooOld fired after " << seconds << " s\n";
  EXPECT_EQ(firing.count(old_storage), 1u)
      << "not firing within " << kFireTimeout.count()
      << " s: " << Get(env["PROMETHEUS_URL"] + "/api/v1/alerts").dump();
  EXPECT_EQ(firing.count(fresh_storage), 0u) << "a backup 5 s old must not fire";

  // node_exporter served the file without complaint.
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
