#include "wal/wal_verify.h"

#include <functional>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_util.h"

namespace walnut::wal {
namespace {

using pg::SegmentNo;
using testing::ExpectError;

constexpr auto kFound = SegmentStatus::kFound;
constexpr auto kDelayed = SegmentStatus::kMissingDelayed;
constexpr auto kUploading = SegmentStatus::kMissingUploading;
constexpr auto kLost = SegmentStatus::kMissingLost;

WalCatalog CatalogOf(pg::TimelineId timeline, SegmentNo first, SegmentNo last,
                     const std::function<bool(SegmentNo)>& skip = nullptr) {
  WalCatalog catalog;
  for (SegmentNo segno = first; segno <= last; ++segno) {
    if (!skip || !skip(segno)) catalog.Add(pg::WalFileName({timeline, segno}) + ".lz4");
  }
  return catalog;
}

IntegrityResult Check(const WalCatalog& catalog, pg::WalSegment current, SegmentNo stop,
                      uint64_t delayed, uint64_t uploading,
                      const std::vector<TimelineHistoryEntry>& history = {}) {
  return CheckIntegrity(catalog, history,
                        IntegrityScan{.current = current,
                                      .stop = stop,
                                      .delayed_window = delayed,
                                      .uploading_window = uploading});
}

TEST(WalVerifyIntegrityTest, AllStoredIsOk) {
  auto result = Check(CatalogOf(1, 1, 20), {1, 10}, 2, 0, 16);
  EXPECT_EQ(result.status, CheckStatus::kOk);
  EXPECT_EQ(result.rows, (std::vector<IntegrityRow>{{1, {2, 9}, kFound}}));
}

TEST(WalVerifyIntegrityTest, NewestMissingAreUploadingOlderAreLost) {
  auto catalog = CatalogOf(1, 1, 20, [](SegmentNo s) { return s == 5 || s == 18 || s == 19; });
  auto result = Check(catalog, {1, 21}, 1, 0, 3);
  EXPECT_EQ(result.status, CheckStatus::kFailure);
  EXPECT_EQ(result.rows, (std::vector<IntegrityRow>{{1, {1, 4}, kFound},
                                                    {1, {5, 5}, kLost},
                                                    {1, {6, 17}, kFound},
                                                    {1, {18, 19}, kUploading},
                                                    {1, {20, 20}, kFound}}));
}

TEST(WalVerifyIntegrityTest, DelayedWindowEndsAtTheNewestStoredSegment) {
  auto catalog = CatalogOf(1, 1, 10);
  // Three newest missing, window 5: all delayed; segment 10 ends the delayed pass.
  EXPECT_EQ(Check(catalog, {1, 14}, 1, 5, 2).rows,
            (std::vector<IntegrityRow>{{1, {1, 10}, kFound}, {1, {11, 13}, kDelayed}}));
  // Window 2: the third missing one falls into the uploading window.
  auto result = Check(catalog, {1, 14}, 1, 2, 2);
  EXPECT_EQ(result.status, CheckStatus::kWarning);
  EXPECT_EQ(result.rows,
            (std::vector<IntegrityRow>{
                {1, {1, 10}, kFound}, {1, {11, 11}, kUploading}, {1, {12, 13}, kDelayed}}));
  // No windows at all (WALG_UPLOAD_CONCURRENCY cannot be 0, but the rule is clear): all lost.
  EXPECT_EQ(Check(catalog, {1, 14}, 1, 0, 0).rows,
            (std::vector<IntegrityRow>{{1, {1, 10}, kFound}, {1, {11, 13}, kLost}}));
}

TEST(WalVerifyIntegrityTest, FollowsTheTimelinePathOfTheHistory) {
  WalCatalog catalog;
  for (SegmentNo s : {1, 2, 3, 4, 5}) catalog.Add(pg::WalFileName({1, s}));  // 3-5: abandoned
  for (SegmentNo s : {3, 4}) catalog.Add(pg::WalFileName({2, s}) + ".zst");
  for (SegmentNo s : {5, 6, 7}) catalog.Add(pg::WalFileName({3, s}) + ".br");
  std::vector<TimelineHistoryEntry> history = {{1, 0x3000000, "r"}, {2, 0x5800000, "r"}};
  auto result = Check(catalog, {3, 8}, 1, 0, 0, history);
  EXPECT_EQ(result.status, CheckStatus::kOk);
  EXPECT_EQ(result.rows, (std::vector<IntegrityRow>{
                             {1, {1, 2}, kFound}, {2, {3, 4}, kFound}, {3, {5, 7}, kFound}}));

  // The current segment may itself hold the switch.
  EXPECT_EQ(Check(catalog, {3, 5}, 1, 0, 0, history).rows,
            (std::vector<IntegrityRow>{{1, {1, 2}, kFound}, {2, {3, 4}, kFound}}));

  // A missing segment of the parent is missing even though another timeline has it.
  WalCatalog gap;
  for (SegmentNo s : {1, 2, 3, 4}) gap.Add(pg::WalFileName({1, s}));
  gap.Add(pg::WalFileName({2, 3}));
  for (SegmentNo s : {5, 6, 7}) gap.Add(pg::WalFileName({3, s}));
  EXPECT_EQ(
      Check(gap, {3, 8}, 1, 0, 0, history).rows,
      (std::vector<IntegrityRow>{
          {1, {1, 2}, kFound}, {2, {3, 3}, kFound}, {2, {4, 4}, kLost}, {3, {5, 7}, kFound}}));
}

TEST(WalVerifyIntegrityTest, HugeRangesCostOnlyTheirRuns) {
  const SegmentNo current = SegmentNo{1} << 40;
  auto result = Check(CatalogOf(1, 1, 3), {1, current}, 1, 0, 16);
  EXPECT_EQ(result.status, CheckStatus::kFailure);
  EXPECT_EQ(result.rows, (std::vector<IntegrityRow>{{1, {1, 3}, kFound},
                                                    {1, {4, current - 17}, kLost},
                                                    {1, {current - 16, current - 1}, kUploading}}));
}

TEST(WalVerifyIntegrityTest, NothingToCheck) {
  auto result = Check(CatalogOf(1, 1, 3), {1, 5}, 5, 0, 16);
  EXPECT_EQ(result.status, CheckStatus::kOk);
  EXPECT_TRUE(result.rows.empty());
  EXPECT_EQ(RenderWalVerifyJson({result, std::nullopt}, pg::kDefaultWalSegmentSize),
            "{\"integrity\":{\"status\":\"OK\",\"details\":[]}}\n");
}

WalBackupRef Backup(std::string name, pg::TimelineId timeline, SegmentNo start,
                    bool permanent = false) {
  return WalBackupRef{std::move(name), timeline, start, start + 1, permanent, nullptr};
}

TEST(WalVerifyStopSegmentTest, EarliestBackupOrSegmentOne) {
  EXPECT_EQ(FindStopSegment({}, 1, {}, std::nullopt, pg::kDefaultWalSegmentSize).segno, 1u);
  std::vector<WalBackupRef> backups = {Backup("b9", 1, 9), Backup("b4", 1, 4), Backup("b7", 1, 7)};
  StopSegment stop = FindStopSegment(backups, 1, {}, std::nullopt, pg::kDefaultWalSegmentSize);
  EXPECT_EQ(stop.segno, 4u);
  EXPECT_EQ(stop.backup_name, "b4");
  EXPECT_EQ(FindStopSegment(backups, 1, {}, "b7", pg::kDefaultWalSegmentSize).segno, 7u);
  Error e = ExpectError(
      [&] { FindStopSegment(backups, 1, {}, std::string("nope"), pg::kDefaultWalSegmentSize); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("backup 'nope' not found"), std::string::npos);
}

TEST(WalVerifyStopSegmentTest, PermanentBackupsOnlyWhenNothingElse) {
  std::vector<WalBackupRef> backups = {Backup("p2", 1, 2, true), Backup("b6", 1, 6)};
  EXPECT_EQ(FindStopSegment(backups, 1, {}, std::nullopt, pg::kDefaultWalSegmentSize).backup_name,
            "b6");
  backups.pop_back();
  EXPECT_EQ(FindStopSegment(backups, 1, {}, std::nullopt, pg::kDefaultWalSegmentSize).backup_name,
            "p2");
  // Named explicitly, a permanent backup is used.
  backups.push_back(Backup("b6", 1, 6));
  EXPECT_EQ(FindStopSegment(backups, 1, {}, "p2", pg::kDefaultWalSegmentSize).segno, 2u);
}

TEST(WalVerifyStopSegmentTest, OnlyBackupsOnTheTimelinePath) {
  // Timeline 1 until segment 3, timeline 2 until segment 5, then 3 (current).
  std::vector<TimelineHistoryEntry> history = {{1, 0x3000000, ""}, {2, 0x5800000, ""}};
  auto stop_of = [&](std::vector<WalBackupRef> backups) {
    return FindStopSegment(backups, 3, history, std::nullopt, pg::kDefaultWalSegmentSize)
        .backup_name;
  };
  EXPECT_EQ(stop_of({Backup("tl1", 1, 2), Backup("tl3", 3, 6)}), "tl1");
  EXPECT_EQ(stop_of({Backup("tl1-after-switch", 1, 3), Backup("tl3", 3, 6)}), "tl3");
  EXPECT_EQ(stop_of({Backup("tl2", 2, 4), Backup("tl3", 3, 6)}), "tl2");
  EXPECT_EQ(stop_of({Backup("tl2-before-start", 2, 2), Backup("tl3", 3, 6)}), "tl3");
  EXPECT_EQ(stop_of({Backup("tl4-other-branch", 4, 1), Backup("tl3", 3, 6)}), "tl3");
  EXPECT_EQ(stop_of({Backup("tl3-before-start", 3, 4)}), "");
}

TEST(WalVerifyTimelineTest, HighestTimelineInStorage) {
  WalCatalog catalog;
  EXPECT_EQ(CheckTimeline(catalog, 1).status, CheckStatus::kWarning);
  catalog.Add("000000010000000000000001.lz4");
  catalog.Add("00000002.history.lz4");
  TimelineResult result = CheckTimeline(catalog, 2);
  EXPECT_EQ(result.status, CheckStatus::kOk);
  EXPECT_EQ(result.highest, 2u);
  EXPECT_EQ(CheckTimeline(catalog, 1).status, CheckStatus::kFailure);
  EXPECT_EQ(CheckTimeline(catalog, 3).status, CheckStatus::kFailure);
}

// The example of WAL-G's docs/PostgreSQL.md, produced from storage contents that give it.
class WalVerifyOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (SegmentNo s = 3 * 256 + 0x4D; s <= 4 * 256 + 0xF0; ++s) {
      catalog_.Add(pg::WalFileName({3, s}) + ".lz4");
    }
    for (SegmentNo s = 4 * 256 + 0xF1; s <= 8 * 256 + 0x34; ++s) {
      catalog_.Add(pg::WalFileName({4, s}) + ".lz4");
    }
    catalog_.Add("00000004.history.lz4");
    std::vector<TimelineHistoryEntry> history = {{3, 0x4F1000000ull, "no recovery target"}};
    report_.integrity = CheckIntegrity(
        catalog_, history, IntegrityScan{.current = {4, 8 * 256 + 0x35}, .stop = 3 * 256 + 0x4D});
    report_.timeline = CheckTimeline(catalog_, 4);
  }

  WalCatalog catalog_;
  WalVerifyReport report_;
};

TEST_F(WalVerifyOutputTest, PlainAsWalGsDocs) {
  EXPECT_EQ(
      RenderWalVerifyPlain(report_, pg::kDefaultWalSegmentSize),
      "[wal-verify] integrity check status: OK\n"
      "[wal-verify] integrity check details:\n"
      "+-----+--------------------------+--------------------------+----------------+--------+\n"
      "| TLI | START                    | END                      | SEGMENTS COUNT | STATUS |\n"
      "+-----+--------------------------+--------------------------+----------------+--------+\n"
      "|   3 | 00000003000000030000004D | 0000000300000004000000F0 |            420 |  FOUND |\n"
      "|   4 | 0000000400000004000000F1 | 000000040000000800000034 |            836 |  FOUND |\n"
      "+-----+--------------------------+--------------------------+----------------+--------+\n"
      "[wal-verify] timeline check status: OK\n"
      "[wal-verify] timeline check details:\n"
      "Highest timeline found in storage: 4\n"
      "Current cluster timeline: 4\n");
}

TEST_F(WalVerifyOutputTest, JsonAsWalGsDocs) {
  auto json = nlohmann::json::parse(RenderWalVerifyJson(report_, pg::kDefaultWalSegmentSize));
  auto expected = nlohmann::json::parse(R"({
   "integrity":{"status":"OK","details":[
      {"timeline_id":3,"start_segment":"00000003000000030000004D",
       "end_segment":"0000000300000004000000F0","segments_count":420,"status":"FOUND"},
      {"timeline_id":4,"start_segment":"0000000400000004000000F1",
       "end_segment":"000000040000000800000034","segments_count":836,"status":"FOUND"}]},
   "timeline":{"status":"OK","details":{"current_timeline_id":4,"highest_storage_timeline_id":4}}
  })");
  EXPECT_EQ(json, expected);
}

// Every field of `expected` is in `actual` with the same JSON type, recursively (array elements
// against the first element of `expected`).
void ExpectSameShape(const nlohmann::json& expected, const nlohmann::json& actual,
                     const std::string& path) {
  ASSERT_EQ(expected.type_name(), std::string(actual.type_name())) << path;
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      ASSERT_TRUE(actual.contains(key)) << path << "." << key;
      ExpectSameShape(value, actual[key], path + "." + key);
    }
    EXPECT_EQ(expected.size(), actual.size()) << path;
  } else if (expected.is_array() && !expected.empty()) {
    for (const auto& element : actual) ExpectSameShape(expected[0], element, path + "[]");
  }
}

TEST_F(WalVerifyOutputTest, JsonHasTheShapeOfWalGsOutput) {
  // wal-verify.json from WAL-G's cmd/pg/exporter/testdata (the output its exporter parses).
  auto walg = nlohmann::json::parse(R"({
    "integrity": {"status": "FAILURE", "details": [
      {"timeline_id": 67, "start_segment": "000000430000030600000060",
       "end_segment": "000000430000030600000060", "segments_count": 1, "status": "MISSING_LOST"}]},
    "timeline": {"status": "OK", "details": {"current_timeline_id": 68,
                                             "highest_storage_timeline_id": 68}}})");
  ExpectSameShape(walg, nlohmann::json::parse(RenderWalVerifyJson(report_, 16u << 20)), "$");
}

}  // namespace
}  // namespace walnut::wal
