#include "metrics/exposition.h"

#include <sys/stat.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

#include "localfs/posix_local_fs.h"
#include "common/error.h"
#include "support/test_util.h"

namespace walnut::metrics {
namespace {

TEST(ExpositionTest, WritesFamiliesInOrderWithHelpTypeAndLabels) {
  Exposition e;
  e.Gauge("walnut_backups", "Backups in the storage.", {{"type", "full"}}, 3);
  e.Add("walnut_wal_pushed_total", MetricType::kCounter, "Segments pushed.", {}, 12);
  e.Gauge("walnut_backups", "Backups in the storage.", {{"type", "delta"}}, 5);
  EXPECT_EQ(e.Text(),
            "# HELP walnut_backups Backups in the storage.\n"
            "# TYPE walnut_backups gauge\n"
            "walnut_backups{type=\"full\"} 3\n"
            "walnut_backups{type=\"delta\"} 5\n"
            "# HELP walnut_wal_pushed_total Segments pushed.\n"
            "# TYPE walnut_wal_pushed_total counter\n"
            "walnut_wal_pushed_total 12\n");
}

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  Exposition e;
  e.Gauge("m", "a \\ b\nc", {{"storage", "s3://b/\"x\"\\\n"}}, 1);
  EXPECT_EQ(e.Text(),
            "# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{storage=\"s3://b/\\\"x\\\"\\\\\\n\"} 1\n");
}

TEST(ExpositionTest, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(FormatValue(1733580000), "1733580000");
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1733580000.5), "1733580000.5");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
}

TEST(ExpositionTest, RefusesWhatPrometheusWouldReject) {
  Exposition e;
  EXPECT_THROW(e.Gauge("1bad", "h", {}, 1), std::logic_error);
  EXPECT_THROW(e.Gauge("bad-name", "h", {}, 1), std::logic_error);
  EXPECT_THROW(e.Gauge("m", "h", {{"__reserved", "x"}}, 1), std::logic_error);
  EXPECT_THROW(e.Gauge("m", "h", {{"a:b", "x"}}, 1), std::logic_error);
  EXPECT_THROW(e.Gauge("m", "h", {{"a", "x"}, {"a", "y"}}, 1), std::logic_error);
  EXPECT_THROW(e.Add("walnut_pushed", MetricType::kCounter, "h", {}, 1), std::logic_error);
  e.Gauge("m", "h", {{"a", "x"}, {"b", "y"}}, 1);
  EXPECT_THROW(e.Gauge("m", "other help", {}, 1), std::logic_error);
  EXPECT_THROW(e.Add("m", MetricType::kCounter, "h", {}, 1), std::logic_error);
  // The same labels in another order are the same series.
  EXPECT_THROW(e.Gauge("m", "h", {{"b", "y"}, {"a", "x"}}, 2), std::logic_error);
  e.Gauge("m", "h", {{"a", "x"}, {"b", "z"}}, 2);
  EXPECT_FALSE(e.empty());
}

TEST(ExpositionTest, WritesTheTextfileAtomicallyAndReadableByAll) {
  testing::TempDir dir;
  PosixLocalFs fs;
  WriteTextfile(fs, dir.str(), "walnut.prom", "m 1\n");
  WriteTextfile(fs, dir.str() + "/", "walnut.prom", "m 2\n");
  const std::string path = dir.str() + "/walnut.prom";
  EXPECT_EQ(testing::ReadFile(path), "m 2\n");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_THROW(WriteTextfile(fs, dir.str(), "walnut.txt", "m 1\n"), std::logic_error);
  EXPECT_THROW(WriteTextfile(fs, dir.str(), "a/walnut.prom", "m 1\n"), std::logic_error);
  try {
    WriteTextfile(fs, dir.str() + "/missing", "walnut.prom", "m 1\n");
    FAIL() << "no error for a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace walnut::metrics
