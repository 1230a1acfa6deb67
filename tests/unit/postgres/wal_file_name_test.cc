#include "postgres/wal_file_name.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "postgres/lsn.h"

namespace walnut::pg {
namespace {

TEST(LsnTest, ParsesAndFormatsPostgresTextForm) {
  EXPECT_EQ(ParseLsn("16/B374D848"), 0x16B374D848u);
  EXPECT_EQ(ParseLsn("0/0"), 0u);
  EXPECT_EQ(FormatLsn(0x16B374D848u), "16/B374D848");
  EXPECT_EQ(FormatLsn(0x1000000u), "0/1000000");
  for (const char* bad : {"", "16", "/1", "1/", "G/1", "1/123456789", "1/2/3"}) {
    EXPECT_THROW(ParseLsn(bad), Error) << bad;
  }
}

TEST(WalFileNameTest, MatchesPostgresNamesForSixteenMiBSegments) {
  EXPECT_EQ(WalFileName({1, 0}), "000000010000000000000000");
  EXPECT_EQ(WalFileName({1, 0xFF}), "0000000100000000000000FF");
  EXPECT_EQ(WalFileName({1, 0x100}), "000000010000000100000000");
  EXPECT_EQ(WalFileName({0x43, LsnToSegment(3325915299880)}), "000000430000030600000060");
  auto parsed = ParseWalFileName("000000430000030600000060");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->timeline, 0x43u);
  EXPECT_EQ(WalFileName(*parsed), "000000430000030600000060");
}

TEST(WalFileNameTest, OtherSegmentSizesSplitTheNumberDifferently) {
  uint64_t one_gib = 1u << 30;
  EXPECT_EQ(WalFileName({1, 5}, one_gib), "000000010000000100000001");
  EXPECT_EQ(ParseWalFileName("000000010000000100000001", one_gib)->segno, 5u);
  // Only 4 segments of 1 GiB fit in one "log id": 00000004 is not a valid low part.
  EXPECT_FALSE(ParseWalFileName("000000010000000100000004", one_gib));
  EXPECT_TRUE(ParseWalFileName("000000010000000100000004"));
}

TEST(WalFileNameTest, RejectsWhatIsNotASegmentName) {
  for (const char* bad : {"", "00000001", "00000001000000000000000g", "0000000100000000000000ff",
                          "00000001.history"}) {
    EXPECT_FALSE(ParseWalFileName(bad)) << bad;
  }
}

TEST(WalFileNameTest, ClassifiesPgWalFiles) {
  EXPECT_EQ(ClassifyWalFileName("000000010000000000000003"), WalFileKind::kSegment);
  EXPECT_EQ(ClassifyWalFileName("000000010000000000000003.partial"), WalFileKind::kPartial);
  EXPECT_EQ(ClassifyWalFileName("000000010000000000000003.00000028.backup"),
            WalFileKind::kBackupHistory);
  EXPECT_EQ(ClassifyWalFileName("00000002.history"), WalFileKind::kTimelineHistory);
  EXPECT_EQ(ClassifyWalFileName("00000002.history.lz4"), WalFileKind::kOther);
  EXPECT_EQ(ClassifyWalFileName("archive_status"), WalFileKind::kOther);
  EXPECT_EQ(ParseTimelineHistoryFileName("0000000A.history"), 10u);
}

}  // namespace
}  // namespace walnut::pg
