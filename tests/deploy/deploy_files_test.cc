// The files under deploy/: the alert rules (promtool), the dashboard (every expression reads only
// the metric names of deploy/metrics.txt) and the systemd units (systemd-analyze verify).

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "deploy/deploy_support.h"
#include "metrics/families.h"

namespace walnut::deploy_test {
namespace {

namespace fs = std::filesystem;

const fs::path kRules = SourceDir() / "deploy/prometheus/walnut-alerts.yml";
const fs::path kRuleTests = SourceDir() / "deploy/prometheus/walnut-alerts.test.yml";
const fs::path kDashboard = SourceDir() / "deploy/grafana/walnut-dashboard.json";
const fs::path kUnits = SourceDir() / "deploy/systemd";

TEST(MetricNames, ParserFindsMetricsAndSkipsLabelsFunctionsAndVariables) {
  auto names = MetricNamesIn(
      R"x(time() - max by (storage, type) (walnut_a{storage=~"$storage", type="full"}) > 26 * 3600 )x"
      R"x(and on (instance) increase(walnut_b_total[$__rate_interval]) or walnut_c offset 5m unless )x"
      R"x(label_replace(walnut_d, "x", "$1", "y", "(.*)") > bool 1e3)x");
  EXPECT_EQ(names, (std::set<std::string>{"walnut_a", "walnut_b_total", "walnut_c", "walnut_d"}));
}

TEST(MetricNames, ContractHasTheBriefsFamilies) {
  auto names = ContractMetricNames();
  EXPECT_EQ(names.size(), 28u);  // the 28 families the metric commands write
  for (const auto& name : names) {
    EXPECT_TRUE(std::regex_match(name, std::regex("walnut_[a-z0-9_]+"))) << name;
  }
  EXPECT_EQ(names.count("walnut_backup_last_finish_timestamp_seconds"), 1u);
  EXPECT_EQ(names.count("walnut_drill_last_success"), 1u);
}

TEST(Dashboard, EveryExpressionReadsOnlyContractMetrics) {
  auto contract = ContractMetricNames();
  auto exprs = DashboardExpressions(kDashboard);
  ASSERT_GE(exprs.size(), 20u);
  std::set<std::string> used;
  for (const auto& expr : exprs) {
    auto names = MetricNamesIn(expr);
    EXPECT_FALSE(names.empty()) << "reads no metric: " << expr;
    for (const auto& name : names) {
      EXPECT_EQ(contract.count(name), 1u) << name << " is not in deploy/metrics.txt: " << expr;
      used.insert(name);
    }
  }
  // The dashboard shows every family of the contract.
  for (const auto& name : contract) EXPECT_EQ(used.count(name), 1u) << "no panel shows " << name;
}

TEST(Dashboard, DatasourceAndStorageVariables) {
  auto doc = nlohmann::json::parse(ReadFile(kDashboard));
  EXPECT_GE(doc.at("schemaVersion").get<int>(), 36);  // Grafana 9 and later
  std::set<std::string> variables;
  for (const auto& v : doc.at("templating").at("list"))
    variables.insert(v.at("name").get<std::string>());
  EXPECT_EQ(variables, (std::set<std::string>{"DS_PROMETHEUS", "storage"}));
  std::set<int> ids;
  for (const auto& panel : doc.at("panels")) {
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "duplicate panel id";
    if (panel.at("type") == "row") continue;
    EXPECT_EQ(panel.at("datasource").at("uid"), "${DS_PROMETHEUS}") << panel.at("title");
    for (const auto& target : panel.at("targets")) {
      EXPECT_NE(target.at("expr").get<std::string>().find(R"(storage=~"$storage")"),
                std::string::npos)
          << panel.at("title") << ": not filtered by the storage variable";
    }
  }
}

TEST(AlertRules, EveryExpressionReadsOnlyContractMetrics) {
  auto contract = ContractMetricNames();
  YAML::Node doc = YAML::LoadFile(kRules.string());
  std::set<std::string> alerts;
  for (const auto& group : doc["groups"]) {
    for (const auto& rule : group["rules"]) {
      std::string expr = rule["expr"].as<std::string>();
      alerts.insert(rule["alert"].as<std::string>());
      auto names = MetricNamesIn(expr);
      EXPECT_FALSE(names.empty()) << expr;
      for (const auto& name : names) {
        EXPECT_EQ(contract.count(name), 1u) << name << " is not in deploy/metrics.txt: " << expr;
      }
      EXPECT_TRUE(rule["labels"]["severity"]) << rule["alert"].as<std::string>();
      EXPECT_TRUE(rule["annotations"]["summary"]) << rule["alert"].as<std::string>();
    }
  }
  for (const char* name : {"WalnutBackupTooOld", "WalnutNoBackups", "WalnutStorageUnreachable",
                           "WalnutWalArchiveLagging", "WalnutWalArchiveFailing",
                           "WalnutDrillFailed", "WalnutDrillTooOld", "WalnutVerifyFailed"}) {
    EXPECT_EQ(alerts.count(name), 1u) << name;
  }
  // Every alert has a rule unit test that makes it fire.
  std::string tests = ReadFile(kRuleTests);
  for (const auto& name : alerts) {
    EXPECT_NE(tests.find("alertname: " + name + "\n"), std::string::npos)
        << name << " has no rule test";
  }
}

TEST(AlertRules, PromtoolChecksThem) {
  auto result = Shell("promtool check rules " + ShellQuote(kRules.string()));
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("SUCCESS"), std::string::npos) << result.out;
}

TEST(AlertRules, PromtoolRuleTestsPass) {
  auto result = Shell("cd " + ShellQuote(kRules.parent_path().string()) +
                      " && promtool test rules " + ShellQuote(kRuleTests.filename().string()));
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("SUCCESS"), std::string::npos) << result.out;
}

// The rule tests are not vacuous: with the thresholds moved, they fail.
TEST(AlertRules, PromtoolRuleTestsFailWhenAThresholdMoves) {
  TempDir dir;
  std::string rules = ReadFile(kRules);
  for (auto [from, to] : {std::pair<std::string, std::string>{"> 26 * 3600", "> 28 * 3600"},
                          {"> 100 * 86400", "> 102 * 86400"}}) {
    auto at = rules.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    rules.replace(at, from.size(), to);
  }
  WriteFile(dir.path() / "walnut-alerts.yml", rules);
  fs::copy_file(kRuleTests, dir.path() / "walnut-alerts.test.yml");
  auto result = Shell("cd " + ShellQuote(dir.path().string()) +
                      " && promtool test rules walnut-alerts.test.yml");
  EXPECT_NE(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("alertname: WalnutBackupTooOld"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("alertname: WalnutDrillTooOld"), std::string::npos) << result.out;
}

// systemd-analyze verify needs the ExecStart binaries to exist: it checks copies of the units
// whose /usr/bin/walnut is the built binary.
fs::path CopyUnits(const fs::path& to) {
  std::string binary = RawBinary();
  for (const auto& entry : fs::directory_iterator(kUnits)) {
    auto ext = entry.path().extension();
    if (ext != ".service" && ext != ".timer") continue;
    std::string text = ReadFile(entry.path());
    for (size_t at; (at = text.find("/usr/bin/walnut")) != std::string::npos;) {
      text.replace(at, 15, binary);
    }
    WriteFile(to / entry.path().filename(), text);
  }
  return to;
}

TEST(SystemdUnits, SystemdAnalyzeVerifiesEveryUnit) {
  TempDir dir;
  CopyUnits(dir.path());
  int units = 0;
  std::string args;
  for (const char* name : {"backup", "delete", "drill", "verify", "metrics"}) {
    for (const char* ext : {".service", ".timer"}) {
      auto path = dir.path() / (std::string("walnut-") + name + ext);
      ASSERT_TRUE(fs::exists(path)) << path;
      args += " " + ShellQuote(path.string());
      ++units;
    }
  }
  EXPECT_EQ(units, 10);
  auto result = Shell("systemd-analyze verify --man=no" + args);
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(result.out, "") << "systemd-analyze warns";
}

TEST(SystemdUnits, SystemdAnalyzeCatchesABrokenUnit) {
  TempDir dir;
  CopyUnits(dir.path());
  auto timer = dir.path() / "walnut-drill.timer";
  std::string text = ReadFile(timer);
  text.replace(text.find("OnCalendar=*-01,04,07,10-01"), 27, "OnCalendar=*-01,04,07,13-01");
  WriteFile(timer, text);
  auto result = Shell("systemd-analyze verify --man=no " + ShellQuote(timer.string()));
  EXPECT_NE(result.exit_code, 0) << result.out;
}

TEST(SystemdUnits, TimersFireWhenPromised) {
  // systemd-analyze calendar: the quarterly drill's next four runs are the first days of
  // January, April, July and October.
  auto result = Shell("systemd-analyze calendar --iterations=4 '*-01,04,07,10-01 05:00:00'");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  for (const char* month :
       {"-01-01 05:00:00", "-04-01 05:00:00", "-07-01 05:00:00", "-10-01 05:00:00"}) {
    EXPECT_NE(result.out.find(month), std::string::npos) << result.out;
  }
  std::string drill = ReadFile(kUnits / "walnut-drill.timer");
  EXPECT_NE(drill.find("OnCalendar=*-01,04,07,10-01 05:00:00\n"), std::string::npos);
  for (const char* name : {"backup", "delete", "drill", "verify", "metrics"}) {
    std::string service = ReadFile(kUnits / (std::string("walnut-") + name + ".service"));
    EXPECT_NE(service.find("\nUser=postgres\n"), std::string::npos) << name;
    EXPECT_NE(service.find("\nEnvironmentFile=/etc/walnut/walnut.env\n"), std::string::npos)
        << name;
    EXPECT_NE(service.find("\nNoNewPrivileges=yes\n"), std::string::npos) << name;
  }
}

// deploy/metrics.txt, which the rules and the dashboard are checked against, names exactly the
// families Walnut declares (metrics/families.h).
TEST(DeployFilesTest, TheMetricContractIsWhatWalnutWrites) {
  std::set<std::string> declared;
  for (const metrics::MetricSpec& spec : metrics::AllMetricSpecs()) {
    declared.insert(std::string(spec.name));
  }
  EXPECT_EQ(ContractMetricNames(), declared);
}

}  // namespace
}  // namespace walnut::deploy_test
