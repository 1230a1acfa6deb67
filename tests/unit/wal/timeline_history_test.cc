#include "wal/timeline_history.h"

#include <gtest/gtest.h>

#include "io/writer.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut::wal {
namespace {

using testing::ExpectError;

TEST(TimelineHistoryTest, ParsesWhatPostgresWrites) {
  // PostgreSQL's writeTimeLineHistory: "%u\t%X/%X\t%s\n" per ancestor, a blank line between.
  std::string text =
      "1\t0/3000000\tno recovery target specified\n"
      "\n"
      "2\t0/5000158\tbefore 2024-01-01 00:00:00+00\n";
  auto entries = ParseTimelineHistory(text, 3, "wal_005/00000003.history");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], (TimelineHistoryEntry{1, 0x3000000, "no recovery target specified"}));
  EXPECT_EQ(entries[1], (TimelineHistoryEntry{2, 0x5000158, "before 2024-01-01 00:00:00+00"}));
}

TEST(TimelineHistoryTest, SkipsCommentsAndAcceptsSpacesAndNoReason) {
  std::string text =
      "# written by hand\n"
      "   \t\n"
      "  1 16/B374D848\r\n"
      "4\t1a/0\n";
  auto entries = ParseTimelineHistory(text, 5, "h");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], (TimelineHistoryEntry{1, 0x16B374D848ull, ""}));
  EXPECT_EQ(entries[1], (TimelineHistoryEntry{4, 0x1A00000000ull, ""}));
  EXPECT_TRUE(ParseTimelineHistory("", 2, "h").empty());
}

TEST(TimelineHistoryTest, RejectsBadLinesNamingTheObjectAndLine) {
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"x\t0/1\tr\n", "line 1: expected a numeric timeline ID"},
           {"1\t0/1\n0\t0/2\n", "line 2: expected a numeric timeline ID"},
           {"1\n", "line 1: expected a write-ahead log switchpoint"},
           {"1\t0-1\n", "line 1: expected a write-ahead log switchpoint"},
           {"1\t0/123456789\n", "line 1: expected a write-ahead log switchpoint"},
           {"99999999999\t0/1\n", "line 1: expected a numeric timeline ID"},
           {"2\t0/1\n1\t0/2\n", "line 2: timeline IDs must be in increasing sequence"},
           {"1\t0/1\n3\t0/2\n", "line 2: timeline 3 is not below the file's own timeline 3"},
       }) {
    Error e = ExpectError([&] { ParseTimelineHistory(c.text, 3, "wal_005/00000003.history"); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(e.what()).find("timeline history wal_005/00000003.history " + c.expected),
              std::string::npos)
        << e.what();
  }
}

TEST(TimelineHistoryTest, ReadsThroughThePipeline) {
  MemoryStorage storage;
  Folder wal(storage, "wal_005/");
  PipelineOptions pipeline;
  pipeline.compression = CompressionMethod::kZstd;
  auto writer = MakeUploadWriter(wal, "00000002.history.zst", pipeline);
  writer->Write(AsBytes("1\t0/3000000\tno recovery target specified\n"));
  writer->Close();

  WalCatalog catalog = WalCatalog::List(wal, pg::kDefaultWalSegmentSize);
  auto entries = ReadTimelineHistory(wal, catalog, 2, pipeline);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].switch_lsn, 0x3000000u);
  EXPECT_FALSE(ReadTimelineHistory(wal, catalog, 1, pipeline));
}

TEST(TimelineHistoryTest, CorruptCompressedHistoryIsAnError) {
  MemoryStorage storage;
  Folder wal(storage, "wal_005/");
  auto writer = wal.Put("00000002.history.lz4");
  writer->Write(AsBytes("not lz4 at all"));
  writer->Close();
  WalCatalog catalog = WalCatalog::List(wal, pg::kDefaultWalSegmentSize);
  Error e = ExpectError([&] { ReadTimelineHistory(wal, catalog, 2, PipelineOptions{}); });
  EXPECT_NE(std::string(e.what()).find("00000002.history.lz4"), std::string::npos) << e.what();
}

TEST(TimelineHistoryTest, OversizedHistoryIsRejected) {
  MemoryStorage storage;
  Folder wal(storage, "wal_005/");
  auto writer = wal.Put("00000002.history");
  std::string line = "# padding padding padding padding padding padding padding padding\n";
  for (size_t written = 0; written <= kMaxTimelineHistoryBytes; written += line.size()) {
    writer->Write(AsBytes(line));
  }
  writer->Close();
  WalCatalog catalog = WalCatalog::List(wal, pg::kDefaultWalSegmentSize);
  PipelineOptions none;
  none.compression = CompressionMethod::kNone;
  Error e = ExpectError([&] { ReadTimelineHistory(wal, catalog, 2, none); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("larger than"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace walnut::wal
