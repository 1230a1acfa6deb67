#include "config/setting_values.h"

#include <gtest/gtest.h>

namespace walnut {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(SettingValuesTest, BoolsAreGoParseBool) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True", " true\n"}) {
    EXPECT_EQ(ParseSettingBool(t), true) << t;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_EQ(ParseSettingBool(f), false) << f;
  }
  for (const char* bad : {"", "yes", "no", "on", "tRUE", "2", "truee"}) {
    EXPECT_EQ(ParseSettingBool(bad), std::nullopt) << bad;
  }
}

TEST(SettingValuesTest, IntsAreDecimalWithSign) {
  EXPECT_EQ(ParseSettingInt("16"), 16);
  EXPECT_EQ(ParseSettingInt("-1"), -1);
  EXPECT_EQ(ParseSettingInt("+3"), 3);
  EXPECT_EQ(ParseSettingInt(" 42 "), 42);
  EXPECT_EQ(ParseSettingInt("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseSettingInt("-9223372036854775808"), INT64_MIN);
  for (const char* bad : {"", "-", "1.5", "0x10", "12abc", "9223372036854775808", "1e3", "1 2"}) {
    EXPECT_EQ(ParseSettingInt(bad), std::nullopt) << bad;
  }
}

TEST(SettingValuesTest, DurationsAreGoDurations) {
  EXPECT_EQ(ParseSettingDuration("0"), nanoseconds(0));
  EXPECT_EQ(ParseSettingDuration("30s"), seconds(30));
  EXPECT_EQ(ParseSettingDuration("1m"), minutes(1));
  EXPECT_EQ(ParseSettingDuration("1h30m"), minutes(90));
  EXPECT_EQ(ParseSettingDuration("1.5h"), minutes(90));
  EXPECT_EQ(ParseSettingDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseSettingDuration(".5s"), milliseconds(500));
  EXPECT_EQ(ParseSettingDuration("2us"), nanoseconds(2000));
  EXPECT_EQ(ParseSettingDuration("2\xC2\xB5s"), nanoseconds(2000));
  EXPECT_EQ(ParseSettingDuration("7ns"), nanoseconds(7));
  EXPECT_EQ(ParseSettingDuration("-1m"), -minutes(1));
  EXPECT_EQ(ParseSettingDuration("2562047h"), hours(2562047));
  for (const char* bad : {"", "30", "1x", "m", "1h 30m", "1.h.", "-", "3000000h", "1m30"}) {
    EXPECT_EQ(ParseSettingDuration(bad), std::nullopt) << bad;
  }
}

TEST(SettingValuesTest, BytesTakeBinaryUnits) {
  EXPECT_EQ(ParseSettingBytes("20971520"), 20971520u);
  EXPECT_EQ(ParseSettingBytes("20MiB"), 20u << 20);
  EXPECT_EQ(ParseSettingBytes("20mb"), 20u << 20);
  EXPECT_EQ(ParseSettingBytes("1 GB"), 1u << 30);
  EXPECT_EQ(ParseSettingBytes("8k"), 8192u);
  EXPECT_EQ(ParseSettingBytes("3b"), 3u);
  EXPECT_EQ(ParseSettingBytes("2TiB"), 2ull << 40);
  for (const char* bad :
       {"", "-1", "1.5MiB", "1PB", "MiB", "99999999999999999999", "16777216TiB"}) {
    EXPECT_EQ(ParseSettingBytes(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace walnut
