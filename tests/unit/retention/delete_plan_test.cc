#include "retention/delete_plan.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "postgres/wal_file_name.h"
#include "support/test_util.h"

namespace walnut::retention {
namespace {

using testing::ExpectError;
using Mode = DeleteRequest::Mode;
using Modifier = DeleteRequest::Modifier;

constexpr uint64_t kSeg = pg::kDefaultWalSegmentSize;

Timestamp Day(int day) { return Timestamp(std::chrono::hours(24 * (20000 + day))); }

std::string Wal(pg::TimelineId tl, pg::SegmentNo segno) {
  return pg::WalFileName({tl, segno}, kSeg);
}

// An inventory built by hand: backups are added oldest first, a day apart.
class Inventory {
 public:
  // A full backup on `tl` starting at `segno`; returns its name.
  std::string Full(pg::TimelineId tl, pg::SegmentNo segno, bool permanent = false) {
    return Add("base_" + Wal(tl, segno), tl, segno, "", permanent);
  }
  std::string Delta(pg::TimelineId tl, pg::SegmentNo segno, const std::string& base,
                    bool permanent = false) {
    return Add("base_" + Wal(tl, segno) + "_D_" + base.substr(5, 24), tl, segno, base, permanent);
  }
  // A folder without a sentinel.
  // A folder without a sentinel, last written on `day`.
  void Unlisted(const std::string& name, pg::TimelineId tl, pg::SegmentNo segno, bool pending,
                int day, const std::string& delta_base = "") {
    inv.unlisted.push_back(UnlistedFolder{name, {tl, segno}, delta_base, Day(day), pending});
  }

  BackupInventory inv;

 private:
  std::string Add(const std::string& name, pg::TimelineId tl, pg::SegmentNo segno,
                  const std::string& base, bool permanent) {
    StoredBackup b;
    b.name = name;
    b.start = {tl, segno};
    b.finish_segno = segno + 1;
    b.time = Day(++day_);
    b.delta_from = base;
    b.permanent = permanent;
    inv.backups.push_back(b);
    return name;
  }
  int day_ = 0;
};

DeleteRequest Retain(int n, Modifier modifier = Modifier::kNone) {
  DeleteRequest r;
  r.mode = Mode::kRetain;
  r.count = n;
  r.modifier = modifier;
  return r;
}

std::vector<std::string> Names(const DeletePlan& plan) {
  std::vector<std::string> names;
  for (const auto& b : plan.backups) names.push_back(b.name);
  return names;
}

bool Deletes(const DeletePlan& plan, pg::TimelineId tl, pg::SegmentNo segno,
             const std::string& suffix = ".lz4") {
  return plan.wal.MayDelete(Wal(tl, segno) + suffix, kSeg);
}

TEST(DeletePlanTest, RetainFullKeepsTheNewestFullsWithTheirDeltasAndTheWalFromTheOldestKept) {
  Inventory i;
  const auto f1 = i.Full(1, 2);
  const auto d1 = i.Delta(1, 4, f1);
  const auto f2 = i.Full(1, 6);
  const auto d2 = i.Delta(1, 8, f2);
  i.Full(1, 10);
  const DeletePlan plan = PlanDelete(i.inv, Retain(2, Modifier::kFull));
  // The delta's sentinel goes before its base's.
  EXPECT_EQ(Names(plan), (std::vector<std::string>{d1, f1}));
  EXPECT_EQ(plan.backups[0].depth, 1);
  EXPECT_TRUE(Deletes(plan, 1, 5));
  EXPECT_FALSE(Deletes(plan, 1, 6));
  EXPECT_FALSE(Deletes(plan, 1, 9));
  EXPECT_FALSE(plan.wal.MayDelete("00000001.history.lz4", kSeg));
  (void)d2;
}

TEST(DeletePlanTest, RetainWhoseTargetIsADeltaIsRefusedWithWalGsMessageUnlessFindFull) {
  Inventory i;
  const auto f1 = i.Full(1, 2);
  const auto f2 = i.Full(1, 6);
  i.Delta(1, 8, f2);
  i.Delta(1, 10, f2);
  Error e = ExpectError([&] { PlanDelete(i.inv, Retain(2)); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(e.what()).find("is incremental and it's predecessors cannot be deleted. "
                                       "Consider FIND_FULL option."),
            std::string::npos)
      << e.what();
  const DeletePlan plan = PlanDelete(i.inv, Retain(2, Modifier::kFindFull));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{f1}));
}

TEST(DeletePlanTest, RetainWithFewerBackupsThanAskedDeletesNothingAndSaysWhy) {
  Inventory i;
  i.Full(1, 2);
  i.Full(1, 4);
  const DeletePlan plan = PlanDelete(i.inv, Retain(8, Modifier::kFull));
  EXPECT_TRUE(plan.Empty());
  EXPECT_NE(plan.nothing_reason.find("nothing to delete"), std::string::npos);
  EXPECT_TRUE(PlanDelete(BackupInventory{}, Retain(1)).Empty());
}

TEST(DeletePlanTest, RetainAfterKeepsTheOlderOfTheTwoTargets) {
  Inventory i;
  const auto f1 = i.Full(1, 2);
  const auto f2 = i.Full(1, 4);  // day 2
  const auto f3 = i.Full(1, 6);
  i.Full(1, 8);
  DeleteRequest r = Retain(1);
  r.after = Day(2);
  EXPECT_EQ(Names(PlanDelete(i.inv, r)), (std::vector<std::string>{f1}));
  r.after.reset();
  r.after_name = f3;
  EXPECT_EQ(Names(PlanDelete(i.inv, r)), (std::vector<std::string>{f1, f2}));
  // A time after every backup: the retain target alone decides.
  r.after_name.clear();
  r.after = Day(30);
  EXPECT_EQ(Names(PlanDelete(i.inv, r)).size(), 3u);
}

TEST(DeletePlanTest, BeforeByNameAndByTime) {
  Inventory i;
  const auto f1 = i.Full(1, 2);
  const auto f2 = i.Full(1, 4);
  const auto d2 = i.Delta(1, 6, f2);
  DeleteRequest r;
  r.mode = Mode::kBefore;
  r.name = f2;
  EXPECT_EQ(Names(PlanDelete(i.inv, r)), (std::vector<std::string>{f1}));
  r.name = d2;
  EXPECT_EQ(ExpectError([&] { PlanDelete(i.inv, r); }).code(), ErrorCode::kFailedPrecondition);
  r.modifier = Modifier::kFindFull;
  EXPECT_EQ(Names(PlanDelete(i.inv, r)), (std::vector<std::string>{f1}));
  r = DeleteRequest{};
  r.mode = Mode::kBefore;
  r.time = Day(2) - std::chrono::hours(1);
  EXPECT_EQ(Names(PlanDelete(i.inv, r)), (std::vector<std::string>{f1}));
  r.time = Day(9);  // nothing started after it: nothing goes
  EXPECT_TRUE(PlanDelete(i.inv, r).Empty());
  r.time.reset();
  r.name = "base_000000010000000000000077";
  EXPECT_EQ(ExpectError([&] { PlanDelete(i.inv, r); }).code(), ErrorCode::kNotFound);
}

TEST(DeletePlanTest, PermanentBackupsAndTheirChainsAreKeptWithTheWalToTheirEnd) {
  Inventory i;
  const auto f1 = i.Full(1, 0x10, true);
  const auto f2 = i.Full(1, 0x20);
  const auto d2 = i.Delta(1, 0x22, f2, true);  // a permanent delta keeps its base
  const auto f3 = i.Full(1, 0x30);
  i.Full(1, 0x40);
  const DeletePlan plan = PlanDelete(i.inv, Retain(1, Modifier::kFull));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{f3}));
  EXPECT_FALSE(Deletes(plan, 1, 0x10));  // f1's own WAL
  EXPECT_FALSE(Deletes(plan, 1, 0x11));
  EXPECT_TRUE(Deletes(plan, 1, 0x12));   // between a permanent backup and the target: goes
  EXPECT_FALSE(Deletes(plan, 1, 0x20));  // f2, the base of the permanent d2
  EXPECT_FALSE(Deletes(plan, 1, 0x23));
  EXPECT_TRUE(Deletes(plan, 1, 0x31));
  EXPECT_FALSE(Deletes(plan, 1, 0x40));
  (void)f1;
  (void)d2;
}

TEST(DeletePlanTest, AKeptDeltaKeepsAnOlderBaseItWasTakenFrom) {
  Inventory i;
  const auto f1 = i.Full(1, 2);
  i.Full(1, 4);
  const auto f3 = i.Full(1, 6);
  i.Delta(1, 8, f1);  // --delta-from-name of an old backup
  const DeletePlan plan = PlanDelete(i.inv, Retain(1, Modifier::kFull));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"base_" + Wal(1, 4)}));
  EXPECT_FALSE(Deletes(plan, 1, 2));  // f1 is restorable
  (void)f3;
}

// WAL-G #636: after pg_upgrade the new cluster starts again at timeline 1, so name order puts the
// old cluster's backups (timeline 0xB) after the new ones.
TEST(DeletePlanTest, AfterATimelineResetTheNewestBackupsAndTheirWalAreKept) {
  Inventory i;
  const auto o1 = i.Full(0xB, 0x3440);
  const auto o2 = i.Full(0xB, 0x3460);
  const auto n1 = i.Full(1, 0x3570);
  const auto n2 = i.Full(1, 0x35A0);
  const DeletePlan plan = PlanDelete(i.inv, Retain(2, Modifier::kFull));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{o1, o2}));
  EXPECT_FALSE(Deletes(plan, 1, 0x3570));
  EXPECT_FALSE(Deletes(plan, 1, 0x3600));
  EXPECT_TRUE(Deletes(plan, 1, 0x3500));
  EXPECT_TRUE(Deletes(plan, 0xB, 0x3470));  // the old cluster's WAL is older than every kept backup

  // retain 3 keeps one old backup: the new cluster's WAL (a lower timeline) is still kept.
  const DeletePlan three = PlanDelete(i.inv, Retain(3, Modifier::kFull));
  EXPECT_EQ(Names(three), (std::vector<std::string>{o1}));
  EXPECT_FALSE(Deletes(three, 1, 0x3570));
  EXPECT_FALSE(Deletes(three, 0xB, 0x3460));
  EXPECT_TRUE(Deletes(three, 0xB, 0x3450));
  (void)n1;
  (void)n2;
}

TEST(DeletePlanTest, ABackupBeingPushedKeepsItsBaseChainAndItsWal) {
  Inventory i;
  const auto f1 = i.Full(1, 2);
  const auto d1 = i.Delta(1, 4, f1);
  i.Full(1, 6);
  i.Full(1, 8);
  // A delta of d1 is being pushed; an older failed push is a leftover.
  i.Unlisted("base_" + Wal(1, 5) + "_D_" + d1.substr(5, 24), 1, 5, true, 5, d1);
  i.Unlisted("base_" + Wal(1, 3), 1, 3, false, 2);
  const DeletePlan plan = PlanDelete(i.inv, Retain(1, Modifier::kFull));
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"base_" + Wal(1, 6)}));
  EXPECT_TRUE(Deletes(plan, 1, 1));
  EXPECT_FALSE(Deletes(plan, 1, 2));  // f1's own WAL: kept as a base
  EXPECT_FALSE(Deletes(plan, 1, 7));  // after the pending delta's start
  // Only the leftover goes; the folder being pushed stays.
  EXPECT_EQ(plan.folders, (std::vector<std::string>{"base_" + Wal(1, 3)}));

  DeleteRequest target;
  target.mode = Mode::kTarget;
  target.name = f1;
  Error e = ExpectError([&] { PlanDelete(i.inv, target); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(e.what()).find("being pushed"), std::string::npos) << e.what();
}

TEST(DeletePlanTest, TargetDeletesTheBackupAndItsDependentsButNoWal) {
  Inventory i;
  const auto f1 = i.Full(1, 2);
  const auto d1 = i.Delta(1, 4, f1);
  const auto d2 = i.Delta(1, 6, d1);
  const auto f2 = i.Full(1, 8);
  DeleteRequest r;
  r.mode = Mode::kTarget;
  r.name = d1;
  DeletePlan plan = PlanDelete(i.inv, r);
  EXPECT_EQ(Names(plan), (std::vector<std::string>{d2, d1}));
  EXPECT_FALSE(plan.wal.DeletesAnything());
  r.name = d2;
  r.modifier = Modifier::kFindFull;
  EXPECT_EQ(Names(PlanDelete(i.inv, r)), (std::vector<std::string>{d2, d1, f1}));
  i.inv.backups[2].permanent = true;  // d2
  Error e = ExpectError([&] { PlanDelete(i.inv, r); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(e.what()).find("permanent"), std::string::npos);
  (void)f2;
}

TEST(DeletePlanTest, EverythingRefusesPermanentBackupsUnlessForce) {
  Inventory i;
  i.Full(1, 2, true);
  i.Full(1, 4);
  i.Unlisted("base_" + Wal(1, 1), 1, 1, false, 1);
  DeleteRequest r;
  r.mode = Mode::kEverything;
  Error e = ExpectError([&] { PlanDelete(i.inv, r); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(e.what()).find("FORCE"), std::string::npos);
  r.force = true;
  const DeletePlan plan = PlanDelete(i.inv, r);
  EXPECT_EQ(Names(plan).size(), 2u);
  EXPECT_EQ(plan.folders.size(), 1u);
  EXPECT_TRUE(Deletes(plan, 1, 4));
  EXPECT_TRUE(Deletes(plan, 7, 0x99));
  EXPECT_TRUE(plan.wal.MayDelete("00000002.history.lz4", kSeg));
}

TEST(DeletePlanTest, GarbageDeletesLeftoversAndWalBeforeTheOldestBackupThatIsNotPermanent) {
  Inventory i;
  i.Full(1, 0x10, true);
  i.Full(1, 0x20);
  i.Unlisted("base_" + Wal(1, 0x30), 1, 0x30, false, 3);
  i.Unlisted("base_" + Wal(1, 0x40), 1, 0x40, true, 4);
  DeleteRequest r;
  r.mode = Mode::kGarbage;
  DeletePlan plan = PlanDelete(i.inv, r);
  EXPECT_TRUE(plan.backups.empty());
  EXPECT_EQ(plan.folders, (std::vector<std::string>{"base_" + Wal(1, 0x30)}));
  EXPECT_FALSE(Deletes(plan, 1, 0x10));
  EXPECT_TRUE(Deletes(plan, 1, 0x12));
  EXPECT_FALSE(Deletes(plan, 1, 0x20));

  r.backups = false;  // ARCHIVES
  EXPECT_TRUE(PlanDelete(i.inv, r).folders.empty());

  // Only permanent backups: no WAL goes unless --without-backup-check.
  i.inv.backups[1].permanent = true;
  EXPECT_FALSE(PlanDelete(i.inv, r).wal.DeletesAnything());
  r.without_backup_check = true;
  plan = PlanDelete(i.inv, r);
  EXPECT_TRUE(Deletes(plan, 1, 0x12));
  EXPECT_FALSE(Deletes(plan, 1, 0x21));
  EXPECT_FALSE(Deletes(plan, 1, 0x41));  // the pending backup's WAL
  EXPECT_FALSE(plan.wal.MayDelete("00000002.history", kSeg));
}

TEST(WalRetentionTest, JudgesObjectsByTheSegmentTheirNameStartsWith) {
  const WalRetention rule = WalRetention::Before({2, 0x20}, {WalRange{1, 1, 5, 6}});
  EXPECT_TRUE(rule.MayDelete(Wal(1, 0x30) + ".zst", kSeg));  // a lower timeline
  EXPECT_TRUE(rule.MayDelete(Wal(2, 0x1F), kSeg));
  EXPECT_FALSE(rule.MayDelete(Wal(2, 0x20) + ".br", kSeg));
  EXPECT_TRUE(rule.MayDelete(Wal(2, 3) + ".partial.lz4", kSeg));
  EXPECT_TRUE(rule.MayDelete(Wal(2, 3) + ".00000028.backup.lz4", kSeg));
  EXPECT_FALSE(rule.MayDelete(Wal(1, 5) + ".lz4", kSeg));  // kept range
  EXPECT_FALSE(rule.MayDelete("00000001.history.lz4", kSeg));
  EXPECT_FALSE(rule.MayDelete("junk.txt", kSeg));
  EXPECT_FALSE(WalRetention().MayDelete(Wal(1, 1), kSeg));
}

}  // namespace
}  // namespace walnut::retention
