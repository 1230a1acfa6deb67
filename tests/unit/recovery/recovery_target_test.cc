#include "recovery/recovery_target.h"

#include <cstdlib>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/test_util.h"

namespace walnut::recovery {
namespace {

using Kind = RecoveryRequest::Kind;
using walnut::testing::ExpectError;

Timestamp Utc(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

// The one line a bad flag set gives (kInvalidArgument, so exit 2).
std::string Refusal(const RecoveryFlags& flags) {
  Error e = ExpectError([&] { ParseRecoveryFlags(flags); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
  return e.what();
}

TEST(ParseTargetTimeTest, AcceptsIsoFormsWithAZone) {
  EXPECT_EQ(ParseTargetTime("2026-12-07 14:30:00+01"), Utc("2026-12-07T13:30:00Z"));
  EXPECT_EQ(ParseTargetTime("2026-12-07T14:30:00+01:00"), Utc("2026-12-07T13:30:00Z"));
  EXPECT_EQ(ParseTargetTime("2026-12-07 14:30:00 -0230"), Utc("2026-12-07T17:00:00Z"));
  EXPECT_EQ(ParseTargetTime("2026-12-07T14:30:00Z"), Utc("2026-12-07T14:30:00Z"));
  EXPECT_EQ(ParseTargetTime("2026-12-07 14:30 UTC"), Utc("2026-12-07T14:30:00Z"));
  EXPECT_EQ(ParseTargetTime("2026-12-07 14:30:00.123456+00"), Utc("2026-12-07T14:30:00.123456Z"));
  EXPECT_EQ(ParseTargetTime("2026-12-07 +00"), Utc("2026-12-07T00:00:00Z"));
  // PostgreSQL keeps microseconds and rounds: what is compared is what the server reads.
  EXPECT_EQ(ParseTargetTime("2026-12-07 14:30:00.1234567Z"), Utc("2026-12-07T14:30:00.123457Z"));
}

TEST(ParseTargetTimeTest, WithoutAZoneTheTimeIsLocal) {
  const char* old = std::getenv("TZ");
  std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", "Europe/Berlin", 1);
  ::tzset();
  EXPECT_EQ(ParseTargetTime("2026-12-07 14:30:00"), Utc("2026-12-07T13:30:00Z"));  // CET
  EXPECT_EQ(ParseTargetTime("2026-07-07 14:30:00"), Utc("2026-07-07T12:30:00Z"));  // CEST
  if (old != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST(ParseTargetTimeTest, RefusesWhatItCannotReadAsPostgreSqlDoes) {
  for (const char* bad :
       {"", "now", "yesterday", "2026-13-01 00:00:00Z", "2026-02-30Z", "2026-12-07 24:00:00Z",
        "2026-12-07 14:60:00Z", "2026-12-07T", "2026-12-07 14:30:00 EST", "2026-12-07 14:30:00+1",
        "2026-12-07 14:30:00.Z", "07.12.2026", "1616161616", "2026-12-07 14:30:00+01:00 junk"}) {
    EXPECT_EQ(ParseTargetTime(bad), std::nullopt) << bad;
  }
}

TEST(ParseRecoveryFlagsTest, NoFlagsIsThePlainForm) {
  RecoveryRequest request = ParseRecoveryFlags({});
  EXPECT_EQ(request.kind, Kind::kNone);
  EXPECT_FALSE(request.Requested());
  RecoveryFlags standby;
  standby.standby = true;
  EXPECT_TRUE(ParseRecoveryFlags(standby).Requested());
  RecoveryFlags timeline;
  timeline.target_timeline = "latest";
  EXPECT_TRUE(ParseRecoveryFlags(timeline).Requested());
}

TEST(ParseRecoveryFlagsTest, EachKindIsNormalisedForPostgreSql) {
  RecoveryFlags time;
  time.target_time = "2026-12-07T14:30:00.5+01:00";
  RecoveryRequest r = ParseRecoveryFlags(time);
  EXPECT_EQ(r.kind, Kind::kTime);
  EXPECT_EQ(r.value, "2026-12-07 13:30:00.5+00");
  EXPECT_EQ(r.time, Utc("2026-12-07T13:30:00.5Z"));

  RecoveryFlags lsn;
  lsn.target_lsn = "16/b374d848";
  r = ParseRecoveryFlags(lsn);
  EXPECT_EQ(r.kind, Kind::kLsn);
  EXPECT_EQ(r.value, "16/B374D848");
  EXPECT_EQ(r.lsn, (uint64_t{0x16} << 32) | 0xB374D848);

  RecoveryFlags xid;
  xid.target_xid = "4294967301";  // pg_current_xact_id() of epoch 1 (PostgreSQL 13+)
  xid.target_exclusive = true;
  xid.target_action = "shutdown";
  r = ParseRecoveryFlags(xid);
  EXPECT_EQ(r.kind, Kind::kXid);
  EXPECT_EQ(r.value, "4294967301");
  EXPECT_TRUE(r.exclusive);
  EXPECT_EQ(r.action, "shutdown");

  RecoveryFlags name;
  name.target_name = "before upgrade";
  name.target_timeline = "3";
  name.standby = true;
  r = ParseRecoveryFlags(name);
  EXPECT_EQ(r.kind, Kind::kName);
  EXPECT_EQ(r.value, "before upgrade");
  EXPECT_EQ(r.timeline, "3");
  EXPECT_TRUE(r.standby);

  RecoveryFlags immediate;
  immediate.target_immediate = true;
  immediate.target_action = "promote";
  EXPECT_EQ(ParseRecoveryFlags(immediate).kind, Kind::kImmediate);
}

TEST(ParseRecoveryFlagsTest, EachBadValueGivesOneLineNamingTheFlag) {
  RecoveryFlags two;
  two.target_time = "2026-12-07 14:30:00Z";
  two.target_name = "x";
  EXPECT_NE(Refusal(two).find("one recovery target only"), std::string::npos);

  RecoveryFlags time;
  time.target_time = "tomorrow";
  EXPECT_NE(Refusal(time).find("--target-time 'tomorrow'"), std::string::npos);

  RecoveryFlags lsn;
  lsn.target_lsn = "16B374D848";
  EXPECT_NE(Refusal(lsn).find("--target-lsn '16B374D848'"), std::string::npos);

  for (const char* bad : {"-5", "12a", "0x10", "2", "", "18446744073709551616"}) {
    RecoveryFlags xid;
    xid.target_xid = bad;
    if (std::string(bad).empty()) continue;  // absent, not bad
    EXPECT_NE(Refusal(xid).find("--target-xid"), std::string::npos) << bad;
  }

  RecoveryFlags name;
  name.target_name = std::string(64, 'n');
  EXPECT_NE(Refusal(name).find("at most 63 bytes"), std::string::npos);

  for (const char* bad : {"0", "newest", "-1", "4294967296", "Latest"}) {
    RecoveryFlags timeline;
    timeline.target_timeline = bad;
    EXPECT_NE(Refusal(timeline).find("--target-timeline"), std::string::npos) << bad;
  }

  RecoveryFlags action;
  action.target_immediate = true;
  action.target_action = "resume";
  EXPECT_NE(Refusal(action).find("give promote, pause or shutdown"), std::string::npos);

  RecoveryFlags lone_action;
  lone_action.target_action = "promote";
  lone_action.standby = true;
  EXPECT_NE(Refusal(lone_action).find("needs a recovery target"), std::string::npos);

  RecoveryFlags exclusive;
  exclusive.target_name = "x";
  exclusive.target_exclusive = true;
  EXPECT_NE(Refusal(exclusive).find("--target-exclusive needs"), std::string::npos);
}

TEST(RecoverySettingsTest, TheChosenTargetComesLastAfterTheOthersEmptied) {
  RecoveryFlags flags;
  flags.target_lsn = "0/3000060";
  flags.target_exclusive = true;
  flags.target_timeline = "current";
  flags.target_action = "promote";
  auto settings = RecoverySettings(ParseRecoveryFlags(flags), "walnut wal-fetch %f %p");
  std::vector<std::pair<std::string, std::string>> expected = {
      {"restore_command", "walnut wal-fetch %f %p"},
      {"recovery_target", ""},
      {"recovery_target_name", ""},
      {"recovery_target_time", ""},
      {"recovery_target_xid", ""},
      {"recovery_target_lsn", "0/3000060"},
      {"recovery_target_inclusive", "off"},
      {"recovery_target_timeline", "current"},
      {"recovery_target_action", "promote"},
  };
  EXPECT_EQ(settings, expected);

  RecoveryFlags immediate;
  immediate.target_immediate = true;
  settings = RecoverySettings(ParseRecoveryFlags(immediate), "x");
  EXPECT_EQ(settings.back(),
            std::make_pair(std::string("recovery_target"), std::string("immediate")));
  EXPECT_EQ(settings.size(), 6u);

  RecoveryFlags standby;
  standby.standby = true;
  settings = RecoverySettings(ParseRecoveryFlags(standby), "x");
  EXPECT_EQ(settings.size(), 6u);  // restore_command and every target emptied
  for (size_t i = 1; i < settings.size(); ++i) EXPECT_EQ(settings[i].second, "") << i;
}

TEST(RewriteAutoConfTest, EarlierRecoveryLinesAreCommentedOutAndTheRestKept) {
  const std::string before =
      "# Do not edit this file manually!\n"
      "# It will be overwritten by the ALTER SYSTEM command.\n"
      "archive_mode = 'on'\n"
      "restore_command = 'cp /old/%f %p'\n"
      "  Recovery_Target_Time='2020-01-01'\n"
      "recovery_target_timeline = 'latest'\n"
      "recovery_target_time_zone_like = 'kept'\n"
      "# recovery_target_name = 'a comment stays as it is'\n"
      "restore_commandx = 'kept'\n"
      "work_mem = '64MB'";
  const std::string after =
      RewriteAutoConf(before, "Recovery settings written by walnut backup-fetch of backup base_X",
                      {{"restore_command", "'/usr/bin/walnut' wal-fetch %f %p"},
                       {"recovery_target_name", "it's \\ here"}});
  EXPECT_EQ(after,
            "# Do not edit this file manually!\n"
            "# It will be overwritten by the ALTER SYSTEM command.\n"
            "archive_mode = 'on'\n"
            "# Removed by walnut backup-fetch: restore_command = 'cp /old/%f %p'\n"
            "# Removed by walnut backup-fetch:   Recovery_Target_Time='2020-01-01'\n"
            "# Removed by walnut backup-fetch: recovery_target_timeline = 'latest'\n"
            "recovery_target_time_zone_like = 'kept'\n"
            "# recovery_target_name = 'a comment stays as it is'\n"
            "restore_commandx = 'kept'\n"
            "work_mem = '64MB'\n"
            "# Recovery settings written by walnut backup-fetch of backup base_X\n"
            "restore_command = '''/usr/bin/walnut'' wal-fetch %f %p'\n"
            "recovery_target_name = 'it''s \\\\ here'\n");
}

TEST(RewriteAutoConfTest, AMissingFileGetsAlterSystemsHeader) {
  EXPECT_EQ(RewriteAutoConf("", "h", {{"restore_command", "x"}}),
            "# Do not edit this file manually!\n"
            "# It will be overwritten by the ALTER SYSTEM command.\n"
            "# h\n"
            "restore_command = 'x'\n");
}

TEST(FormatRestoreCommandTest, QuotesEveryWordAndDoublesPercentSigns) {
  EXPECT_EQ(FormatRestoreCommand("/usr/bin/walnut", "/etc/walnut/wal g.json", {}),
            "'/usr/bin/walnut' --config '/etc/walnut/wal g.json' wal-fetch %f %p");
  EXPECT_EQ(FormatRestoreCommand(
                "/opt/walnut", "",
                {{"WALG_FILE_PREFIX", "/backups/50%/it's"}, {"WALG_COMPRESSION_METHOD", "zstd"}}),
            "WALG_FILE_PREFIX='/backups/50%%/it'\\''s' WALG_COMPRESSION_METHOD='zstd' "
            "'/opt/walnut' wal-fetch %f %p");
}

}  // namespace
}  // namespace walnut::recovery
