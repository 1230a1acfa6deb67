// delete garbage and the temporary files of uploads that were killed, on a real directory storage.
#include "retention/stale_temporaries.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backup/backup_catalog.h"
#include "retention/backup_inventory.h"
#include "retention/delete_executor.h"
#include "retention/delete_plan.h"
#include "storage/fs/fs_storage.h"
#include "support/test_util.h"

namespace walnut::retention {
namespace {

namespace fs = std::filesystem;
using Mode = DeleteRequest::Mode;

constexpr auto kPendingAge = std::chrono::hours(1);

class StaleTemporariesTest : public ::testing::Test {
 protected:
  StaleTemporariesTest() : storage_(dir_.path()), root_(storage_, ""), catalog_(root_) {
    Write("wal_005/000000010000000000000001.lz4", "committed", false);
    old_wal_ =
        Write("wal_005/.000000010000000000000002.lz4.walnut-tmp-00000000000000aa", "half", true);
    old_backup_ = Write(
        "basebackups_005/base_000000010000000000000002/tar_partitions/"
        ".part_001.tar.lz4.walnut-tmp-00000000000000bb",
        "half", true);
    fresh_ = Write("wal_005/.000000010000000000000003.lz4.walnut-tmp-00000000000000cc",
                   "being written", false);
  }

  // Writes a file below the storage root; `old` ones were last written two hours ago.
  std::string Write(const std::string& key, const std::string& data, bool old) {
    fs::path path = dir_.path() / key;
    fs::create_directories(path.parent_path());
    testing::WriteFile(path, data);
    if (old) fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(2));
    return key;
  }
  bool Exists(const std::string& key) const { return fs::exists(dir_.path() / key); }

  DeleteReport Garbage(bool confirm, bool archives = true, bool backups = true) {
    Timestamp now =
        std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    BackupInventory inventory = LoadBackupInventory(catalog_, 16 << 20, now, kPendingAge);
    inventory.stale_temporaries = FindStaleTemporaryFiles(root_, now, kPendingAge);
    DeleteRequest request;
    request.mode = Mode::kGarbage;
    request.archives = archives;
    request.backups = backups;
    DeletePlan plan = PlanDelete(inventory, request);
    return ExecuteDelete(catalog_, inventory, plan, confirm, 16 << 20);
  }

  testing::TempDir dir_;
  FsStorage storage_;
  Folder root_;
  BackupCatalog catalog_;
  std::string old_wal_;
  std::string old_backup_;
  std::string fresh_;
};

TEST_F(StaleTemporariesTest, FindsOnlyTheOnesNotWrittenForThePendingAge) {
  Timestamp now =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  std::vector<std::string> keys;
  for (const StaleTemporaryFile& file : FindStaleTemporaryFiles(root_, now, kPendingAge)) {
    keys.push_back(file.key);
    EXPECT_EQ(file.size, 4u);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{old_backup_, old_wal_}));
}

TEST_F(StaleTemporariesTest, TheDryRunCountsThemAndConfirmRemovesThem) {
  DeleteReport dry = Garbage(/*confirm=*/false);
  EXPECT_EQ(dry.temporaries, 2u);
  EXPECT_TRUE(Exists(old_wal_));
  EXPECT_TRUE(Exists(old_backup_));

  DeleteReport done = Garbage(/*confirm=*/true);
  EXPECT_EQ(done.temporaries, 2u);
  EXPECT_FALSE(Exists(old_wal_));
  EXPECT_FALSE(Exists(old_backup_));
  EXPECT_FALSE(fs::exists(dir_.path() / "basebackups_005"));  // emptied directories go too
  EXPECT_TRUE(Exists(fresh_));                                // a live upload may own it
  EXPECT_TRUE(Exists("wal_005/000000010000000000000001.lz4"));
  EXPECT_EQ(Garbage(/*confirm=*/true).temporaries, 0u);
}

TEST_F(StaleTemporariesTest, ArchivesAndBackupsEachTakeTheirOwn) {
  EXPECT_EQ(Garbage(/*confirm=*/true, /*archives=*/true, /*backups=*/false).temporaries, 1u);
  EXPECT_FALSE(Exists(old_wal_));
  EXPECT_TRUE(Exists(old_backup_));
  EXPECT_EQ(Garbage(/*confirm=*/true, /*archives=*/false, /*backups=*/true).temporaries, 1u);
  EXPECT_FALSE(Exists(old_backup_));
}

}  // namespace
}  // namespace walnut::retention
