#include "drill/drill_report.h"

#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace walnut::drill {
namespace {

DrillResult PassedResult() {
  DrillResult r;
  r.started_at = Timestamp(std::chrono::seconds(1'765'000'000));
  r.finished_at = r.started_at + std::chrono::seconds(42);
  r.success = true;
  r.backup_name = "base_000000010000000000000004";
  r.backup_age_seconds = 3600.5;
  r.pg_major = 15;
  r.target = {RecoveryTarget::Kind::kTime, "2025-12-06 05:00:00+00"};
  r.rto_seconds = 40.25;
  r.rpo_seconds = 0.5;
  r.phases = {{"fetch", {2.0, 4'000'000}}, {"recovery", {1.0, 16 << 20}}};
  r.checks = {{"amcheck", {true, "intact"}}, {"sql", {true, "equal"}}};
  return r;
}

TEST(DrillReportTest, JsonCarriesTheSharedSchema) {
  auto doc = nlohmann::json::parse(ReportJson(PassedResult(), {"host1", "walnut 1.0 (abc)"}));
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["kind"], "drill");
  EXPECT_EQ(doc["started_at"], "2025-12-06T05:46:40Z");
  EXPECT_EQ(doc["finished_at"], "2025-12-06T05:47:22Z");
  EXPECT_EQ(doc["success"], true);
  EXPECT_EQ(doc["host"], "host1");
  EXPECT_EQ(doc["walnut_version"], "walnut 1.0 (abc)");
  EXPECT_TRUE(doc["errors"].is_array() && doc["errors"].empty());
  EXPECT_EQ(doc["backup_name"], "base_000000010000000000000004");
  EXPECT_EQ(doc["backup_age_seconds"], 3600.5);
  EXPECT_EQ(doc["rto_seconds"], 40.25);
  EXPECT_EQ(doc["rpo_seconds"], 0.5);
  EXPECT_EQ(doc["target"]["kind"], "time");
  EXPECT_EQ(doc["target"]["value"], "2025-12-06 05:00:00+00");
  EXPECT_EQ(doc["phases"]["fetch"]["bytes"], 4'000'000);
  EXPECT_EQ(doc["phases"]["fetch"]["bytes_per_second"], 2'000'000.0);
  EXPECT_EQ(doc["checks"]["amcheck"]["ok"], true);
  EXPECT_EQ(doc["checks"]["sql"]["detail"], "equal");
  EXPECT_EQ(doc["total_seconds"], 42.0);
}

TEST(DrillReportTest, AbsentValuesAreNull) {
  DrillResult r = PassedResult();
  r.success = false;
  r.rto_seconds.reset();
  r.rpo_seconds.reset();
  r.target = {};
  r.errors = {"recovery ended before the target time X was reached"};
  auto doc = nlohmann::json::parse(ReportJson(r, {"h", "v"}));
  EXPECT_TRUE(doc["rto_seconds"].is_null());
  EXPECT_TRUE(doc["rpo_seconds"].is_null());
  EXPECT_EQ(doc["target"]["kind"], "end");
  EXPECT_TRUE(doc["target"]["value"].is_null());
  EXPECT_EQ(doc["errors"][0], "recovery ended before the target time X was reached");
}

TEST(DrillReportTest, MetricsFollowTheContract) {
  const std::string text = MetricsText(PassedResult(), "file:///var/backups");
  const std::string labels = "{storage=\"file:///var/backups\",source=\"drill\"}";
  EXPECT_NE(text.find("# TYPE walnut_drill_last_success gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("walnut_drill_last_run_timestamp_seconds" + labels + " 1765000042\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("walnut_drill_last_success" + labels + " 1\n"), std::string::npos);
  EXPECT_NE(text.find("walnut_drill_last_success_timestamp_seconds" + labels + " 1765000042\n"),
            std::string::npos);
  EXPECT_NE(text.find("walnut_drill_last_rto_seconds" + labels + " 40.25\n"), std::string::npos);
  EXPECT_NE(text.find("walnut_drill_last_rpo_seconds" + labels + " 0.5\n"), std::string::npos);
  EXPECT_NE(text.find("walnut_drill_last_backup_age_seconds" + labels + " 3600.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("walnut_drill_last_duration_seconds" + labels + " 42\n"), std::string::npos);
}

TEST(DrillReportTest, AFailedDrillHasNoSuccessTimestamp) {
  DrillResult r = PassedResult();
  r.success = false;
  r.rto_seconds.reset();
  const std::string text = MetricsText(r, "s3://bucket/path");
  EXPECT_NE(
      text.find("walnut_drill_last_success{storage=\"s3://bucket/path\",source=\"drill\"} 0\n"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("walnut_drill_last_success_timestamp_seconds"), std::string::npos);
  EXPECT_EQ(text.find("walnut_drill_last_rto_seconds"), std::string::npos);
}

}  // namespace
}  // namespace walnut::drill
