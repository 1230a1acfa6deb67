#include "postgres/archive_settings.h"

#include <string>

#include <gtest/gtest.h>

namespace walnut::pg {
namespace {

ArchiveSettings Primary(std::string mode, std::string command, std::string library = "") {
  return ArchiveSettings{.mode = std::move(mode),
                         .command = std::move(command),
                         .library = std::move(library),
                         .in_recovery = false};
}

TEST(ArchivingGapTest, APrimaryThatArchivesIsFine) {
  EXPECT_EQ(ArchivingGap(Primary("on", "wal-g wal-push %p")), "");
  EXPECT_EQ(ArchivingGap(Primary("always", "/usr/local/bin/walnut wal-push %p")), "");
  // An archive module does the work (PostgreSQL 15+); the command is then ignored.
  EXPECT_EQ(ArchivingGap(Primary("on", "", "basic_archive")), "");
  // Scripts that happen to start like a no-op still archive.
  EXPECT_EQ(ArchivingGap(Primary("on", "true && cp %p /archive/%f")), "");
}

TEST(ArchivingGapTest, APrimaryThatArchivesNothingIsNamedWithTheFix) {
  std::string off = ArchivingGap(Primary("off", "(disabled)"));
  EXPECT_NE(off.find("archive_mode is off"), std::string::npos) << off;
  EXPECT_NE(off.find("archive_mode = on"), std::string::npos) << off;
  EXPECT_NE(off.find("archive_command = 'wal-g wal-push %p'"), std::string::npos) << off;

  std::string empty = ArchivingGap(Primary("on", ""));
  EXPECT_NE(empty.find("archive_command is empty"), std::string::npos) << empty;
  EXPECT_EQ(ArchivingGap(Primary("always", "  ")), empty);

  for (const char* no_op : {"true", "/bin/true", " /usr/bin/true ", ":", "exit 0"}) {
    std::string gap = ArchivingGap(Primary("on", no_op));
    EXPECT_NE(gap.find("archives nothing"), std::string::npos) << no_op << ": " << gap;
  }
}

TEST(ArchivingGapTest, WhatTheSettingsCannotTellIsNotAGap) {
  // A standby: its primary's archiver may deliver the WAL, whatever the standby's own settings.
  ArchiveSettings standby = Primary("off", "");
  standby.in_recovery = true;
  EXPECT_EQ(ArchivingGap(standby), "");
  standby.mode = "always";
  EXPECT_EQ(ArchivingGap(standby), "");
  // Settings the role may not read.
  EXPECT_EQ(ArchivingGap(ArchiveSettings{}), "");
  ArchiveSettings hidden_command = Primary("on", "");
  hidden_command.command.reset();
  EXPECT_EQ(ArchivingGap(hidden_command), "");
  ArchiveSettings hidden_library = Primary("on", "");
  hidden_library.library.reset();
  EXPECT_EQ(ArchivingGap(hidden_library), "");
  // archive_mode off is a gap even when the command cannot be read.
  ArchiveSettings off = Primary("off", "");
  off.command.reset();
  EXPECT_NE(ArchivingGap(off), "");
}

}  // namespace
}  // namespace walnut::pg
