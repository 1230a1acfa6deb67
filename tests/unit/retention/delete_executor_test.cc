#include "retention/delete_executor.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "backup/backup_metadata.h"
#include "backup/backup_name.h"
#include "common/error.h"
#include "postgres/wal_file_name.h"
#include "retention/backup_inventory.h"
#include "retention/delete_plan.h"
#include "storage/locked_objects.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage_wrapper.h"
#include "support/log_capture.h"
#include "wal/archive_identity.h"

namespace walnut::retention {
namespace {

constexpr uint64_t kSeg = pg::kDefaultWalSegmentSize;
using Mode = DeleteRequest::Mode;
using Modifier = DeleteRequest::Modifier;

// Records every Delete call, and runs a hook after the first one (a concurrent command). Refuses
// to delete the keys in `locked`, as S3 does versions under Object Lock retention: deletes the
// others, then throws ObjectsLockedError naming the refused ones.
class RecordingStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  void Delete(std::span<const std::string> keys) override {
    std::vector<std::string> free;
    LockedObjects refused;
    for (const std::string& key : keys) (locked.contains(key) ? refused.keys : free).push_back(key);
    StorageWrapper::Delete(free);
    calls.emplace_back(keys.begin(), keys.end());
    if (after_first_delete) std::exchange(after_first_delete, nullptr)();
    if (!refused.empty()) {
      refused.retain_until = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
      throw ObjectsLockedError(Describe(), std::move(refused));
    }
  }
  std::vector<std::vector<std::string>> calls;
  std::function<void()> after_first_delete;
  std::set<std::string> locked;
};

std::string Wal(pg::SegmentNo segno) { return pg::WalFileName({1, segno}, kSeg); }

// The keys of the "\twill be deleted: <key>" lines of a captured log, in order.
std::vector<std::string> Named(const testing::LogCapture& log) {
  std::vector<std::string> keys;
  std::istringstream in(log.str());
  const std::string marker = "info: \twill be deleted: ";
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(marker)) keys.push_back(line.substr(marker.size()));
  }
  return keys;
}

class DeleteExecutorTest : public ::testing::Test {
 protected:
  // A backup starting at `segno` (a day later than the previous one) with two tars.
  std::string AddBackup(pg::SegmentNo segno, const std::string& base = "", bool permanent = false) {
    const std::string name =
        "base_" + Wal(segno) + (base.empty() ? "" : "_D_" + base.substr(5, 24));
    BackupSentinel s;
    s.lsn = pg::SegmentStartLsn(segno, kSeg) + 40;
    s.finish_lsn = s.lsn + 100;
    s.delta_from = base;
    if (!base.empty()) s.delta_lsn = s.lsn - 1;
    s.start_time = Timestamp(std::chrono::hours(24 * segno));
    ExtendedMetadata metadata = MetadataFromSentinel(s);
    metadata.is_permanent = permanent;
    memory_.Commit(BackupTarPartitionsKey(name) + "part_001.tar.lz4", "tar");
    memory_.Commit(BackupTarPartitionsKey(name) + "pg_control.tar.lz4", "tar");
    memory_.Commit(BackupMetadataKey(name), SerializeExtendedMetadata(metadata));
    memory_.Commit(BackupSentinelKey(name), SerializeBackupSentinel(s));
    return name;
  }
  void AddWal(pg::SegmentNo first, pg::SegmentNo last) {
    for (pg::SegmentNo s = first; s <= last; ++s) memory_.Commit("wal_005/" + Wal(s) + ".lz4", "w");
  }
  bool Has(const std::string& key) { return memory_.Stat(key).has_value(); }

  // `now` far in the future makes every folder without a sentinel old (not being pushed).
  DeleteReport Run(const DeleteRequest& request, bool confirm,
                   Timestamp now = Timestamp(std::chrono::hours(24 * 100'000))) {
    inventory_ = LoadBackupInventory(catalog_, kSeg, now, std::chrono::hours(12));
    plan_ = PlanDelete(inventory_, request);
    return ExecuteDelete(catalog_, inventory_, plan_, confirm, kSeg);
  }
  static DeleteRequest RetainFull(int n) {
    DeleteRequest r;
    r.mode = Mode::kRetain;
    r.modifier = Modifier::kFull;
    r.count = n;
    return r;
  }

  MemoryStorage memory_{"delete"};
  RecordingStorage storage_{memory_};
  BackupCatalog catalog_{Folder(storage_, "")};
  BackupInventory inventory_;
  DeletePlan plan_;
};

TEST_F(DeleteExecutorTest, ADryRunCountsWhatWouldGoAndChangesNothing) {
  const auto f1 = AddBackup(2);
  AddBackup(4, f1);
  AddBackup(6);
  AddWal(1, 8);
  const size_t before = memory_.ObjectCount();
  const DeleteReport report = Run(RetainFull(1), false);
  EXPECT_EQ(memory_.ObjectCount(), before);
  EXPECT_TRUE(storage_.calls.empty());
  EXPECT_EQ(report.backups, 2u);
  EXPECT_EQ(report.wal_objects, 5u);        // segments 1..5
  EXPECT_EQ(report.objects, 2u * 4u + 5u);  // sentinel, metadata and two tars each
}

TEST_F(DeleteExecutorTest, SentinelsGoFirstDeepestFirstThenDataThenWal) {
  const auto f1 = AddBackup(2);
  const auto d1 = AddBackup(4, f1);
  const auto f2 = AddBackup(6);
  AddWal(1, 8);
  const DeleteReport report = Run(RetainFull(1), true);
  EXPECT_EQ(report.backups, 2u);
  ASSERT_GE(storage_.calls.size(), 4u);
  EXPECT_EQ(storage_.calls[0], std::vector<std::string>{BackupSentinelKey(d1)});
  EXPECT_EQ(storage_.calls[1], std::vector<std::string>{BackupSentinelKey(f1)});
  EXPECT_EQ(storage_.calls.back().front(), "wal_005/" + Wal(1) + ".lz4");
  EXPECT_FALSE(Has(BackupMetadataKey(f1)));
  EXPECT_FALSE(Has(BackupTarPartitionsKey(d1) + "part_001.tar.lz4"));
  EXPECT_FALSE(Has("wal_005/" + Wal(5) + ".lz4"));
  EXPECT_TRUE(Has("wal_005/" + Wal(6) + ".lz4"));
  EXPECT_TRUE(Has(BackupSentinelKey(f2)));
  EXPECT_EQ(BackupCatalog(Folder(memory_, "")).List().size(), 1u);
}

TEST_F(DeleteExecutorTest, ADeltaFinishedDuringTheDeleteGetsItsBaseChainBackWhole) {
  const auto f1 = AddBackup(2);
  const auto d1 = AddBackup(4, f1);
  AddBackup(6);
  // A backup-push of a delta of d1, started before the delete, writes its sentinel just after
  // the delete removed d1's sentinel.
  storage_.after_first_delete = [&] { AddBackup(8, d1); };
  AddWal(1, 9);
  const DeleteReport report = Run(RetainFull(1), true);
  EXPECT_EQ(report.restored, 2u);
  // The WAL the restored backups and the new delta need stays; what none needs goes.
  for (pg::SegmentNo segno : {2, 4, 8, 9}) {
    EXPECT_TRUE(Has("wal_005/" + Wal(segno) + ".lz4")) << segno;
  }
  EXPECT_FALSE(Has("wal_005/" + Wal(1) + ".lz4"));
  for (const auto& name : {f1, d1}) {
    EXPECT_TRUE(Has(BackupSentinelKey(name))) << name;
    EXPECT_TRUE(Has(BackupTarPartitionsKey(name) + "part_001.tar.lz4")) << name;
    EXPECT_TRUE(Has(BackupMetadataKey(name))) << name;
  }
}

TEST_F(DeleteExecutorTest, ABackupMarkedPermanentDuringTheDeleteIsPutBack) {
  const auto f1 = AddBackup(2);
  AddBackup(6);
  storage_.after_first_delete = [&] {
    ExtendedMetadata m = catalog_.LoadMetadata(f1);
    m.is_permanent = true;
    memory_.Commit(BackupMetadataKey(f1), SerializeExtendedMetadata(m));
  };
  EXPECT_EQ(Run(RetainFull(1), true).restored, 1u);
  EXPECT_TRUE(Has(BackupSentinelKey(f1)));
  EXPECT_TRUE(Has(BackupTarPartitionsKey(f1) + "pg_control.tar.lz4"));
}

TEST_F(DeleteExecutorTest, EverythingForceDeletesPermanentBackupsWithoutPuttingThemBack) {
  AddBackup(2, "", true);
  AddWal(1, 4);
  DeleteRequest r;
  r.mode = Mode::kEverything;
  r.force = true;
  EXPECT_EQ(Run(r, true).restored, 0u);
  EXPECT_EQ(memory_.ObjectCount(), 0u);
}

// The delta being pushed is named after its base's start only: base_<d2>_D_<d1's start>, while d1
// is itself a delta, base_<d1>_D_<f1's start>.
TEST_F(DeleteExecutorTest, ADeltaOfADeltaBeingPushedKeepsItsWholeBaseChain) {
  const auto f1 = AddBackup(2);
  const auto d1 = AddBackup(4, f1);
  const auto d2 = AddBackup(6, d1);
  AddBackup(8);
  AddWal(1, 9);
  memory_.Delete(std::vector<std::string>{BackupSentinelKey(d2)});  // not finished yet
  const Timestamp now =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  const DeleteReport report = Run(RetainFull(1), true, now);
  EXPECT_EQ(report.backups, 0u);
  for (const auto& name : {f1, d1}) EXPECT_TRUE(Has(BackupSentinelKey(name))) << name;
  EXPECT_TRUE(Has(BackupTarPartitionsKey(d2) + "part_001.tar.lz4"));
  EXPECT_TRUE(Has("wal_005/" + Wal(7) + ".lz4"));
  EXPECT_FALSE(Has("wal_005/" + Wal(1) + ".lz4"));
}

TEST_F(DeleteExecutorTest, WalIsDeletedInBatchesOfAThousand) {
  AddWal(1, 2600);
  AddBackup(2601);
  DeleteRequest r;
  r.mode = Mode::kGarbage;
  const DeleteReport report = Run(r, true);
  EXPECT_EQ(report.wal_objects, 2600u);
  ASSERT_EQ(storage_.calls.size(), 3u);
  EXPECT_EQ(storage_.calls[0].size(), 1000u);
  EXPECT_EQ(storage_.calls[2].size(), 600u);
}

TEST_F(DeleteExecutorTest, AnInterruptedDeleteLeavesOnlyWholeBackupsListedAndGarbageCleansUp) {
  const auto f1 = AddBackup(2);
  const auto d1 = AddBackup(4, f1);
  const auto d2 = AddBackup(5, d1);
  AddBackup(6);
  // The storage fails at the second Delete call: only the deepest sentinel is gone.
  storage_.after_first_delete = [&] { throw Error(ErrorCode::kNetwork, "connection reset"); };
  EXPECT_THROW(Run(RetainFull(1), true), Error);
  EXPECT_FALSE(Has(BackupSentinelKey(d2)));
  for (const auto& entry : BackupCatalog(Folder(memory_, "")).List()) {
    EXPECT_TRUE(Has(BackupTarPartitionsKey(entry.name) + "part_001.tar.lz4")) << entry.name;
  }
  // The rerun finishes the job; garbage then finds nothing left behind.
  Run(RetainFull(1), true);
  DeleteRequest garbage;
  garbage.mode = Mode::kGarbage;
  Run(garbage, true);
  EXPECT_FALSE(Has(BackupTarPartitionsKey(d2) + "part_001.tar.lz4"));
  EXPECT_EQ(BackupCatalog(Folder(memory_, "")).List().size(), 1u);
}

// WAL-G's dry run names every object it would delete; so does Walnut's, each exactly once, and
// exactly the objects the real run then deletes.
TEST_F(DeleteExecutorTest, ADryRunNamesEachObjectTheDeleteRemoves) {
  const auto f1 = AddBackup(2);
  AddBackup(4, f1);
  AddBackup(6);
  AddWal(1, 8);
  memory_.Commit(BackupTarPartitionsKey("base_" + Wal(3)) + "part_001.tar.lz4", "leftover");
  const std::set<std::string> all_before = [&] {
    std::set<std::string> keys;
    memory_.List("", ListOptions{.recursive = true},
                 [&](const ObjectInfo& info) { keys.insert(info.key); });
    return keys;
  }();
  std::vector<std::string> named;
  DeleteReport report;
  {
    testing::LogCapture log(spdlog::level::debug);
    report = Run(RetainFull(1), false);
    named = Named(log);
  }
  std::set<std::string> unique(named.begin(), named.end());
  EXPECT_EQ(unique.size(), named.size()) << "an object named twice";
  EXPECT_EQ(named.size(), report.objects);
  EXPECT_TRUE(unique.contains(BackupSentinelKey(f1)));
  EXPECT_TRUE(unique.contains("wal_005/" + Wal(5) + ".lz4"));

  Run(RetainFull(1), true);
  std::set<std::string> deleted;
  for (const auto& key : all_before) {
    if (!Has(key)) deleted.insert(key);
  }
  EXPECT_EQ(unique, deleted);
}

DeleteRequest Everything() {
  DeleteRequest r;
  r.mode = Mode::kEverything;
  return r;
}

// After `delete everything` a new cluster may archive into the storage: the identity record goes
// too, last, and the log says so.
TEST_F(DeleteExecutorTest, EverythingClearsTheArchiveIdentityLast) {
  const std::string identity_key(kArchiveIdentityObject);
  memory_.Commit(identity_key, ArchiveIdentityToJson({7300000000000000001, 15, 0xD110, kSeg}));
  AddBackup(2);
  AddWal(1, 4);
  {
    testing::LogCapture log(spdlog::level::debug);
    Run(Everything(), false);
    EXPECT_TRUE(Has(identity_key));
    EXPECT_EQ(Named(log).back(), identity_key);
    EXPECT_NE(log.str().find("would delete the archive's cluster identity record"),
              std::string::npos)
        << log.str();
  }
  testing::LogCapture log(spdlog::level::debug);
  const DeleteReport report = Run(Everything(), true);
  EXPECT_EQ(memory_.ObjectCount(), 0u);
  EXPECT_EQ(storage_.calls.back(), std::vector<std::string>{identity_key});
  EXPECT_EQ(report.objects, 4u + 4u + 1u);
  EXPECT_NE(log.str().find("deleted the archive's cluster identity record walnut_archive.json "
                           "(database system 7300000000000000001)"),
            std::string::npos)
      << log.str();

  // Only everything clears it.
  memory_.Commit(identity_key, "{}");
  AddBackup(6);
  AddBackup(8);
  Run(RetainFull(1), true);
  DeleteRequest garbage;
  garbage.mode = Mode::kGarbage;
  Run(garbage, true);
  EXPECT_TRUE(Has(identity_key));
}

TEST_F(DeleteExecutorTest, EverythingKeepsTheIdentityWhileAClusterStillArchives) {
  const std::string identity_key(kArchiveIdentityObject);
  memory_.Commit(identity_key, ArchiveIdentityToJson({7300000000000000001, 15, 0xD110, kSeg}));
  AddBackup(2);
  AddWal(1, 4);
  // A wal-push of the old cluster stores a segment once the delete has deleted the WAL.
  std::function<void()> hook = [&] {
    if (storage_.calls.back().front().starts_with("wal_005/")) {
      memory_.Commit("wal_005/" + Wal(9) + ".lz4", "w");
    } else {
      storage_.after_first_delete = hook;
    }
  };
  storage_.after_first_delete = hook;
  testing::LogCapture log(spdlog::level::debug);
  Run(Everything(), true);
  EXPECT_TRUE(Has(identity_key));
  EXPECT_TRUE(Has("wal_005/" + Wal(9) + ".lz4"));
  EXPECT_NE(log.str().find("kept the archive's cluster identity record"), std::string::npos)
      << log.str();
}

TEST_F(DeleteExecutorTest, EverythingNeverRemovesARecordWrittenAfterItBegan) {
  // No record when the delete starts (an archive WAL-G wrote); a new cluster records its identity
  // meanwhile: that record is its claim on the emptied storage and stays.
  const std::string identity_key(kArchiveIdentityObject);
  AddBackup(2);
  AddWal(1, 4);
  storage_.after_first_delete = [&] {
    memory_.Commit(identity_key, ArchiveIdentityToJson({7300000000000000002, 15, 0xD110, kSeg}));
  };
  Run(Everything(), true);
  EXPECT_TRUE(Has(identity_key));
}

std::string WalKey(pg::SegmentNo segno) { return "wal_005/" + Wal(segno) + ".lz4"; }

TEST_F(DeleteExecutorTest, LockedObjectsAreCountedApartAndTheRestIsDeleted) {
  const auto f1 = AddBackup(2);
  AddBackup(6);
  AddWal(1, 7);
  storage_.locked = {BackupTarPartitionsKey(f1) + "part_001.tar.lz4", WalKey(1), WalKey(3)};
  testing::LogCapture log;
  const DeleteReport report = Run(RetainFull(1), true);
  EXPECT_EQ(report.locked, 3u);
  EXPECT_TRUE(report.locked_until.has_value());
  EXPECT_EQ(report.backups, 1u);
  // f1's sentinel, metadata and pg_control tar, WAL 2, 4 and 5: deleted; the locked ones are not
  // counted.
  EXPECT_EQ(report.objects, 6u);
  EXPECT_EQ(report.wal_objects, 3u);
  for (const auto& key : storage_.locked) EXPECT_TRUE(Has(key)) << key;
  EXPECT_FALSE(Has(BackupSentinelKey(f1)));
  EXPECT_FALSE(Has(WalKey(2)));
  EXPECT_NE(log.str().find("locked by the bucket's Object Lock retention"), std::string::npos)
      << log.str();
}

TEST_F(DeleteExecutorTest, ADoomedDeltaWithALockedSentinelIsKeptWholeWithItsBase) {
  const auto f1 = AddBackup(2);
  const auto d1 = AddBackup(4, f1);
  AddBackup(6);
  AddWal(1, 7);
  storage_.locked = {BackupSentinelKey(d1)};
  const DeleteReport report = Run(RetainFull(1), true);
  EXPECT_EQ(report.locked, 1u);
  EXPECT_EQ(report.locked_backups, 1u);
  EXPECT_EQ(report.backups, 0u);
  for (const auto& name : {f1, d1}) {
    EXPECT_TRUE(Has(BackupSentinelKey(name))) << name;
    EXPECT_TRUE(Has(BackupTarPartitionsKey(name) + "part_001.tar.lz4")) << name;
  }
  // Both stay restorable to their end (as any kept base): their own WAL stays, what none needs
  // goes.
  for (pg::SegmentNo s : {2, 4, 6, 7}) EXPECT_TRUE(Has(WalKey(s))) << s;
  EXPECT_FALSE(Has(WalKey(1)));
  EXPECT_EQ(BackupCatalog(Folder(memory_, "")).List().size(), 3u);
}

}  // namespace
}  // namespace walnut::retention
