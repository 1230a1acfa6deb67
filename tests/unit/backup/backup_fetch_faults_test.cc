// backup-fetch under local file-system faults: each fails with one line naming the file, and
// leaves no global/pg_control (PostgreSQL refuses to start a data directory without it, so a
// partial restore can never be started by mistake). Removing the directory and fetching again
// completes the restore.
#include <cerrno>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "backup/backup_fetch.h"
#include "storage/memory/memory_storage.h"
#include "support/chain_store.h"
#include "support/faulty_local_fs.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ChainStore;
using testing::Dir;
using testing::ExpectError;
using testing::FaultyLocalFs;
using testing::FsOp;
using testing::Whole;

constexpr std::string_view kBackup = "base_000000010000000000000002";

class BackupFetchFaultsTest : public ::testing::Test {
 protected:
  BackupFetchFaultsTest() {
    store_.Add(
        std::string(kBackup), "",
        {Dir("/base"), Dir("/base/5"), Whole("/PG_VERSION", "15\n"),
         Whole("/base/5/1", testing::RandomBytes(600 << 10, 1)),
         Whole("/base/5/2", testing::RandomBytes(100000, 2), 2), Whole("/base/5/3", "small", 2)});
  }

  fs::path target() const { return dir_.path() / "pgdata"; }
  void Fetch() {
    BackupFetchOptions options{.fs = fs_};
    options.target_dir = target().string();
    options.backup_name = "LATEST";
    options.fsync = true;
    options.download_concurrency = 2;
    options.download_file_retries = 0;
    FetchBackup(store_.catalog(), store_.pipeline(), options);
  }
  bool HasPgControl() const { return fs::exists(target() / "global" / "pg_control"); }

  std::map<std::string, std::string> Files() const {
    std::map<std::string, std::string> files;
    for (const auto& item : fs::recursive_directory_iterator(target())) {
      if (item.is_regular_file()) {
        files[fs::relative(item.path(), target()).string()] = testing::ReadFile(item.path());
      }
    }
    return files;
  }

  MemoryStorage storage_{"faults"};
  ChainStore store_{storage_};
  testing::TempDir dir_;
  FaultyLocalFs fs_;
};

TEST_F(BackupFetchFaultsTest, EachFaultLeavesNoPgControlAndARerunCompletes) {
  Fetch();
  const std::map<std::string, std::string> complete = Files();
  ASSERT_EQ(complete.count("global/pg_control"), 1u);
  struct Case {
    const char* what;
    std::function<void()> inject;
    const char* message;
  };
  const Case cases[] = {
      {"ENOSPC writing a data file", [&] { fs_.FailCall(FsOp::kWriteAt, 2, ENOSPC, 1, "base/5"); },
       "cannot write"},
      {"EIO writing pg_control", [&] { fs_.FailCall(FsOp::kWriteAt, 1, EIO, 1, "pg_control"); },
       "cannot write"},
      {"a short write", [&] { fs_.ShortWrite(1, 1000, ENOSPC, "base/5/1"); }, "cannot write"},
      {"a failed fsync of a data file", [&] { fs_.FailCall(FsOp::kSync, 1, EIO, 1, "base/5/2"); },
       "cannot sync"},
      {"a failed fsync of pg_control", [&] { fs_.FailCall(FsOp::kSync, 1, EIO, 1, "pg_control"); },
       "cannot sync"},
      {"a failed directory fsync", [&] { fs_.FailCall(FsOp::kSyncDirectory, 2, EIO); },
       "cannot sync directory"},
      {"a failed rename of pg_control",
       [&] { fs_.FailCall(FsOp::kRename, 1, EIO, 1, "pg_control"); }, "cannot rename"},
      {"a crash before the rename of pg_control",
       [&] { fs_.CrashAt(FsOp::kRename, 1, "pg_control"); }, "cannot rename"},
      {"a crash writing a data file", [&] { fs_.CrashAt(FsOp::kWriteAt, 3, "base/5"); },
       "input/output error"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    fs::remove_all(target());
    fs_.Reset();
    c.inject();
    Error e = ExpectError([&] { Fetch(); });
    std::string message = e.what();
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_NE(message.find(target().string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_FALSE(HasPgControl());
    fs_.Reset();
    fs::remove_all(target());
    Fetch();
    EXPECT_EQ(Files(), complete);
  }
}

TEST_F(BackupFetchFaultsTest, ANonEmptyTargetLeftByAFailedRestoreIsRefused) {
  fs_.FailCall(FsOp::kWriteAt, 1, ENOSPC, 1, "base/5");
  ExpectError([&] { Fetch(); });
  fs_.Reset();
  Error e = ExpectError([&] { Fetch(); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(HasPgControl());
}

}  // namespace
}  // namespace walnut
