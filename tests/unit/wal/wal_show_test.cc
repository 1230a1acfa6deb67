#include "wal/wal_show.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/memory/memory_storage.h"
#include "wal/wal_show_table.h"

namespace walnut::wal {
namespace {

// Two timelines: 1 with segment 4 missing, 2 branched from 1 at 0/6000000.
class WalShowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name :
         {"000000010000000000000001.lz4", "000000010000000000000002.zst",
          "000000010000000000000003", "000000010000000000000005.lz4",
          "000000010000000000000006.partial.lz4", "000000010000000000000006.lz4",
          "000000020000000000000006.lz4", "000000020000000000000007.lz4", "00000002.history.lz4",
          "000000010000000000000002.00000028.backup.lz4", "garbage.txt"}) {
      auto writer = MakeUploadWriter(wal_, name, PipelineOptions{});
      if (std::string_view(name).starts_with("00000002.history")) {
        writer->Write(AsBytes("1\t0/6000000\tno recovery target specified\n"));
      }
      writer->Close();
    }
    catalog_ = WalCatalog::List(wal_, pg::kDefaultWalSegmentSize);
    backups_ = {
        WalBackupRef{"base_000000010000000000000002", 1, 2, 3, false, nullptr},
        WalBackupRef{"base_000000020000000000000007", 2, 7, 7, false,
                     nlohmann::ordered_json{{"backup_name", "base_000000020000000000000007"},
                                            {"start_lsn", 117440552}}},
        // Finishes beyond the timeline's last stored segment: not listed.
        WalBackupRef{"base_000000010000000000000005", 1, 5, 9, false, nullptr},
    };
  }

  MemoryStorage storage_;
  Folder wal_{storage_, "wal_005/"};
  WalCatalog catalog_;
  std::vector<WalBackupRef> backups_;
};

TEST_F(WalShowTest, SummarisesEachTimeline) {
  TimelineHistories histories = ReadTimelineHistories(wal_, catalog_, PipelineOptions{});
  auto timelines = ShowWal(catalog_, histories, &backups_);
  ASSERT_EQ(timelines.size(), 2u);
  EXPECT_EQ(timelines[0].id, 1u);
  EXPECT_EQ(timelines[0].parent_id, 0u);
  EXPECT_EQ(timelines[0].start_segno, 1u);
  EXPECT_EQ(timelines[0].end_segno, 6u);
  EXPECT_EQ(timelines[0].segments_count, 5u);
  EXPECT_EQ(timelines[0].missing, (std::vector<SegmentRange>{{4, 4}}));
  EXPECT_STREQ(timelines[0].status(), "LOST_SEGMENTS");
  ASSERT_EQ(timelines[0].backups.size(), 1u);
  EXPECT_EQ(timelines[0].backups[0]->name, "base_000000010000000000000002");
  EXPECT_EQ(timelines[1].parent_id, 1u);
  EXPECT_EQ(timelines[1].switch_point_lsn, 0x6000000u);
  EXPECT_STREQ(timelines[1].status(), "OK");
  EXPECT_EQ(timelines[1].segment_range_size(), 2u);
}

TEST_F(WalShowTest, PlainTableAsWalG) {
  auto timelines =
      ShowWal(catalog_, ReadTimelineHistories(wal_, catalog_, PipelineOptions{}), &backups_);
  const std::string border =
      "+-----+------------+-----------------+--------------------------+------------------------"
      "--+---------------+----------------+---------------+---------------+\n";
  std::string expected =
      border +
      "| TLI | PARENT TLI | SWITCHPOINT LSN | START SEGMENT            | END SEGMENT           "
      "   | SEGMENT RANGE | SEGMENTS COUNT | STATUS        | BACKUPS COUNT |\n" +
      border +
      "|   1 |          0 |             0/0 | 000000010000000000000001 | 0000000100000000000000"
      "06 |             6 |              5 | LOST_SEGMENTS |             1 |\n"
      "|   2 |          1 |       0/6000000 | 000000020000000000000006 | 0000000200000000000000"
      "07 |             2 |              2 | OK            |             1 |\n" +
      border;
  EXPECT_EQ(RenderWalShowTable(timelines, true, pg::kDefaultWalSegmentSize), expected);
}

TEST_F(WalShowTest, WithoutBackupsHasNoBackupsColumn) {
  auto timelines = ShowWal(catalog_, {}, nullptr);
  std::string table = RenderWalShowTable(timelines, false, pg::kDefaultWalSegmentSize);
  EXPECT_EQ(table.find("BACKUPS"), std::string::npos);
  EXPECT_NE(table.find("| STATUS        |\n"), std::string::npos) << table;
  EXPECT_TRUE(timelines[0].backups.empty());
  // Without the history files, no parent is known.
  EXPECT_EQ(timelines[1].parent_id, 0u);
}

TEST_F(WalShowTest, DetailedJsonHasWalGsFields) {
  auto timelines =
      ShowWal(catalog_, ReadTimelineHistories(wal_, catalog_, PipelineOptions{}), &backups_);
  std::string text = RenderWalShowJson(timelines, pg::kDefaultWalSegmentSize);
  ASSERT_EQ(text.back(), '\n');
  auto json = nlohmann::json::parse(text);
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  const auto& first = json[0];
  std::vector<std::string> keys;
  auto ordered = nlohmann::ordered_json::parse(text);
  for (const auto& [key, value] : ordered[0].items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "parent_id", "switch_point_lsn", "start_segment",
                                            "end_segment", "segments_count", "missing_segments",
                                            "backups", "segment_range_size", "status"}));
  EXPECT_EQ(first["id"], 1);
  EXPECT_EQ(first["switch_point_lsn"], 0);
  EXPECT_EQ(first["missing_segments"], nlohmann::json::array({"000000010000000000000004"}));
  EXPECT_EQ(first["backups"][0]["backup_name"], "base_000000010000000000000002");
  EXPECT_EQ(first["status"], "LOST_SEGMENTS");
  EXPECT_EQ(json[1]["switch_point_lsn"], 0x6000000);
  EXPECT_EQ(json[1]["missing_segments"], nlohmann::json::array());
  EXPECT_EQ(json[1]["backups"][0]["start_lsn"], 117440552);

  // No backups: the key is left out, as Go's omitempty does.
  auto bare = nlohmann::json::parse(
      RenderWalShowJson(ShowWal(catalog_, {}, nullptr), pg::kDefaultWalSegmentSize));
  EXPECT_FALSE(bare[0].contains("backups"));
}

TEST(WalShowEmptyTest, NoWalIsAnEmptyList) {
  WalCatalog catalog;
  auto timelines = ShowWal(catalog, {}, nullptr);
  EXPECT_TRUE(timelines.empty());
  EXPECT_EQ(RenderWalShowJson(timelines, pg::kDefaultWalSegmentSize), "[]\n");
}

TEST(WalShowTableTest, RightAlignsNumbersLeftAlignsText) {
  std::string table = RenderTable({{"N", true}, {"NAME", false}}, {{"123", "a"}, {"4", "bb"}});
  EXPECT_EQ(table,
            "+-----+------+\n"
            "|   N | NAME |\n"
            "+-----+------+\n"
            "| 123 | a    |\n"
            "|   4 | bb   |\n"
            "+-----+------+\n");
}

}  // namespace
}  // namespace walnut::wal
