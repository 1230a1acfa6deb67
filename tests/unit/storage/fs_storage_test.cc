#include "storage/fs/fs_storage.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "support/storage_conformance.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::ReadAll;
using testing::ReadFile;
using testing::StorageFactory;
using testing::TempDir;
using testing::WriteFile;

// An FsStorage in a fresh temporary directory that is removed with it.
class TempDirFsStorage : public FsStorage {
 public:
  TempDirFsStorage() : TempDirFsStorage(std::make_unique<TempDir>()) {}

 private:
  explicit TempDirFsStorage(std::unique_ptr<TempDir> dir)
      : FsStorage(dir->path()), dir_(std::move(dir)) {}
  std::unique_ptr<TempDir> dir_;
};

std::unique_ptr<Storage> MakeFsStorage() { return std::make_unique<TempDirFsStorage>(); }

WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Fs, StorageFactory{"fs", MakeFsStorage});

void PutString(Storage& storage, std::string_view key, const std::string& data) {
  auto writer = storage.Put(key);
  writer->Write(AsBytes(data));
  writer->Close();
}

std::vector<std::string> ListKeys(Storage& storage, std::string_view prefix, bool recursive) {
  std::vector<std::string> keys;
  storage.List(prefix, ListOptions{recursive},
               [&](const ObjectInfo& info) { keys.push_back(info.key); });
  return keys;
}

// Every file (hidden ones included) below `dir`, relative to it.
std::vector<std::string> FilesBelow(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool Contains(const Error& e, std::string_view text) {
  return std::string_view(e.what()).find(text) != std::string_view::npos;
}

TEST(FsStorageTest, StoresKeysAsFilesBelowTheRoot) {
  TempDir dir;
  FsStorage storage(dir.path());
  EXPECT_EQ(storage.Describe(), "file://" + dir.str());
  PutString(storage, "basebackups_005/base_1/tar_partitions/part_1.tar.lz4", "tar bytes");
  EXPECT_EQ(ReadFile(dir.path() / "basebackups_005/base_1/tar_partitions/part_1.tar.lz4"),
            "tar bytes");
  // Files laid out by WAL-G (or anything else) are objects too.
  fs::create_directories(dir.path() / "wal_005");
  WriteFile(dir.path() / "wal_005/000000010000000000000001.lz4", "wal bytes");
  EXPECT_EQ(ReadAll(*storage.Get("wal_005/000000010000000000000001.lz4")), "wal bytes");
  EXPECT_EQ(ListKeys(storage, "", true),
            (std::vector<std::string>{"basebackups_005/base_1/tar_partitions/part_1.tar.lz4",
                                      "wal_005/000000010000000000000001.lz4"}));
}

TEST(FsStorageTest, WritesThroughAHiddenTemporaryFileInTheSameDirectory) {
  TempDir dir;
  FsStorage storage(dir.path());
  auto writer = storage.Put("d/object");
  writer->Write(AsBytes(std::string(300000, 'x')));  // past the write buffer: really on disk
  std::vector<std::string> files = FilesBelow(dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].starts_with("d/.object.walnut-tmp-")) << files[0];
  EXPECT_TRUE(ListKeys(storage, "", true).empty());
  EXPECT_TRUE(ListKeys(storage, "", false).empty());
  writer->Close();
  EXPECT_EQ(FilesBelow(dir.path()), std::vector<std::string>{"d/object"});
}

TEST(FsStorageTest, AbortAndDestructionRemoveTheTemporaryFile) {
  TempDir dir;
  FsStorage storage(dir.path());
  auto aborted = storage.Put("d/aborted");
  aborted->Write(AsBytes(std::string(300000, 'a')));
  aborted->Abort();
  EXPECT_TRUE(FilesBelow(dir.path()).empty());
  {
    auto dropped = storage.Put("d/dropped");
    dropped->Write(AsBytes(std::string(10, 'b')));
  }
  EXPECT_TRUE(FilesBelow(dir.path()).empty());
}

TEST(FsStorageTest, AFailedWriteRemovesTheTemporaryFile) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "object", "previous version");
  auto writer = storage.Put("object");
  // A file size limit makes write() fail with EFBIG, even for root (SIGXFSZ would kill us).
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 100000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  std::optional<Error> error;
  try {
    writer->Write(AsBytes(std::string(1000000, 'z')));
    writer->Close();
  } catch (const Error& e) {
    error = e;
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), ErrorCode::kIo);
  EXPECT_TRUE(Contains(*error, "cannot write " + (dir.path() / "object").string()))
      << error->what();
  EXPECT_TRUE(Contains(*error, "ulimit -f")) << error->what();
  // Gone at once, not only when the writer is destroyed.
  EXPECT_EQ(FilesBelow(dir.path()), std::vector<std::string>{"object"});
  EXPECT_THROW(writer->Close(), Error);
  writer.reset();
  EXPECT_EQ(ReadFile(dir.path() / "object"), "previous version");
}

TEST(FsStorageTest, LeftoverTemporaryFilesAreNeverListed) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "real", "x");
  // What a crash in the middle of a Put leaves behind.
  WriteFile(dir.path() / ".real.walnut-tmp-0123456789abcdef", "half");
  fs::create_directories(dir.path() / "only-temp");
  WriteFile(dir.path() / "only-temp/.y.walnut-tmp-0000000000000001", "half");
  EXPECT_EQ(ListKeys(storage, "", true), std::vector<std::string>{"real"});
  EXPECT_EQ(ListKeys(storage, "", false), std::vector<std::string>{"real"});
  EXPECT_EQ(ListKeys(storage, ".", true), std::vector<std::string>{});
  EXPECT_EQ(ListKeys(storage, "only-temp/.", false), std::vector<std::string>{});
  EXPECT_EQ(ListKeys(storage, "..", false), std::vector<std::string>{});
  EXPECT_EQ(ExpectError([&] { storage.Get(".real.walnut-tmp-0123456789abcdef"); }).code(),
            ErrorCode::kInvalidArgument);
}

TEST(FsStorageTest, ListsAndDeletesLeftoverTemporaryFilesOnRequest) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "real", "x");
  WriteFile(dir.path() / ".real.walnut-tmp-0123456789abcdef", "half");
  fs::create_directories(dir.path() / "a/b");
  WriteFile(dir.path() / "a/b/.y.walnut-tmp-0000000000000001", "halfway");
  std::vector<std::string> all;
  storage.ListTemporaryFiles("", ListOptions{.recursive = true},
                             [&](const ObjectInfo& info) { all.push_back(info.key); });
  EXPECT_EQ(all, (std::vector<std::string>{".real.walnut-tmp-0123456789abcdef",
                                           "a/b/.y.walnut-tmp-0000000000000001"}));
  std::vector<std::string> top;
  storage.ListTemporaryFiles("", ListOptions{.recursive = false},
                             [&](const ObjectInfo& info) { top.push_back(info.key); });
  EXPECT_EQ(top, std::vector<std::string>{".real.walnut-tmp-0123456789abcdef"});
  storage.Delete(all);
  EXPECT_EQ(FilesBelow(dir.path()), std::vector<std::string>{"real"});
  EXPECT_FALSE(fs::exists(dir.path() / "a"));  // emptied directories go too
  // Other calls still refuse temporary names.
  EXPECT_EQ(ExpectError([&] { storage.Put(".z.walnut-tmp-0000000000000002"); }).code(),
            ErrorCode::kInvalidArgument);
}

TEST(FsStorageTest, RejectsKeysThatEscapeTheRoot) {
  TempDir dir;
  fs::create_directories(dir.path() / "root");
  FsStorage storage(dir.path() / "root");
  const std::vector<std::string> bad_keys = {
      "../x", "a/../../x", "/etc/passwd", "a/./b", "", "a//b", "a/", "..", std::string("a\0b", 3)};
  for (const std::string& key : bad_keys) {
    SCOPED_TRACE(key);
    EXPECT_EQ(ExpectError([&] { storage.Put(key); }).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(ExpectError([&] { storage.Get(key); }).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(ExpectError([&] { storage.Stat(key); }).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(ExpectError([&] { storage.Delete(std::vector<std::string>{key}); }).code(),
              ErrorCode::kInvalidArgument);
  }
  for (std::string_view prefix : {"../", "../x", "/", "/etc", "a/../", "a//b"}) {
    SCOPED_TRACE(prefix);
    EXPECT_EQ(
        ExpectError([&] { storage.List(prefix, ListOptions{}, [](const ObjectInfo&) {}); }).code(),
        ErrorCode::kInvalidArgument);
  }
  Error e = ExpectError([&] { storage.Put("../x"); });
  EXPECT_TRUE(Contains(e, "'../x'")) << e.what();
  EXPECT_TRUE(fs::is_empty(dir.path() / "root"));
  EXPECT_FALSE(fs::exists(dir.path() / "x"));
}

// Runs fn as an unprivileged user when we are root (root ignores permission bits). Returns false
// when that is impossible.
bool RunUnprivileged(const std::function<void()>& fn) {
  if (::geteuid() != 0) {
    fn();
    return true;
  }
  constexpr uid_t kNobody = 65534;
  if (::setegid(kNobody) != 0 || ::seteuid(kNobody) != 0) {
    ::setegid(0);
    return false;
  }
  struct Restore {
    ~Restore() {
      if (::seteuid(0) != 0 || ::setegid(0) != 0) std::abort();  // later tests need root back
    }
  } restore;
  fn();
  return true;
}

TEST(FsStorageTest, PermissionDeniedNamesThePathAndWhatToDo) {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  fs::create_directories(dir.path() / "ro");
  fs::permissions(dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec |
                                         fs::perms::group_read | fs::perms::group_exec |
                                         fs::perms::others_read | fs::perms::others_exec);
  FsStorage storage(dir.path());
  std::optional<Error> create_file;
  std::optional<Error> create_dir;
  bool ran = RunUnprivileged([&] {
    try {
      storage.Put("ro/object");
    } catch (const Error& e) {
      create_file = e;
    }
    try {
      storage.Put("ro/sub/object");
    } catch (const Error& e) {
      create_dir = e;
    }
  });
  fs::permissions(dir.path() / "ro", fs::perms::owner_all);
  if (!ran) GTEST_SKIP() << "running as root without CAP_SETUID: permission bits are not enforced";
  ASSERT_TRUE(create_file.has_value());
  EXPECT_EQ(create_file->code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(std::string(create_file->what()),
            "cannot create " + (dir.path() / "ro/object").string() +
                ": permission denied; check that the user running walnut may access it");
  ASSERT_TRUE(create_dir.has_value());
  EXPECT_EQ(create_dir->code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(Contains(*create_dir, "cannot create directory " + (dir.path() / "ro/sub").string() +
                                        ": permission denied"))
      << create_dir->what();
}

TEST(FsStorageTest, AFileInPlaceOfADirectoryGivesAClearError) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "file", "x");
  Error e = ExpectError([&] { storage.Put("file/sub"); });
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_TRUE(Contains(e, (dir.path() / "file/sub").string())) << e.what();
  EXPECT_TRUE(Contains(e, "not a directory")) << e.what();
  EXPECT_FALSE(storage.Stat("file/sub").has_value());
  EXPECT_EQ(ExpectError([&] { storage.Get("file/sub"); }).code(), ErrorCode::kNotFound);
}

TEST(FsStorageTest, DeleteRemovesEmptyDirectoriesButNeverTheRoot) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "a/b/c/d", "x");
  PutString(storage, "a/x", "y");
  storage.Delete(std::vector<std::string>{"a/b/c/d"});
  EXPECT_FALSE(fs::exists(dir.path() / "a/b"));
  EXPECT_TRUE(fs::exists(dir.path() / "a/x"));
  storage.Delete(std::vector<std::string>{"a/x"});
  EXPECT_FALSE(fs::exists(dir.path() / "a"));
  EXPECT_TRUE(fs::is_directory(dir.path()));
}

TEST(FsStorageTest, CreatesAMissingRootAndRejectsAFileAsRoot) {
  TempDir dir;
  FsStorage storage(dir.path() / "new/nested/root");
  PutString(storage, "k", "v");
  EXPECT_EQ(ReadFile(dir.path() / "new/nested/root/k"), "v");

  WriteFile(dir.path() / "plain-file", "x");
  Error e = ExpectError([&] { FsStorage bad(dir.path() / "plain-file"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Contains(e, "plain-file")) << e.what();
  EXPECT_EQ(ExpectError([] { FsStorage empty(""); }).code(), ErrorCode::kInvalidArgument);
}

TEST(FsStorageTest, ObjectsAreNotReadableByOtherUsers) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "d/k", "secret");
  auto file_perms = fs::status(dir.path() / "d/k").permissions();
  auto dir_perms = fs::status(dir.path() / "d").permissions();
  EXPECT_EQ(file_perms & fs::perms::others_all, fs::perms::none);
  EXPECT_EQ(dir_perms & fs::perms::others_all, fs::perms::none);
}

TEST(FsStorageTest, FollowsFileLinksButNotDirectoryLinks) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "real/x", "x");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "loop");
  fs::create_symlink(dir.path() / "real/x", dir.path() / "file-link");
  EXPECT_EQ(ListKeys(storage, "", true), (std::vector<std::string>{"file-link", "real/x"}));
  EXPECT_EQ(ListKeys(storage, "", false), (std::vector<std::string>{"file-link", "real/"}));
  EXPECT_EQ(ReadAll(*storage.Get("file-link")), "x");
}

TEST(FsStorageTest, PutSurvivesConcurrentDeletesOfItsDirectory) {
  // Delete() removes a directory once it is empty; a Put() into it at the same moment must
  // recreate it rather than fail.
  TempDir dir;
  FsStorage storage(dir.path());
  std::atomic<int> failures{0};
  auto churn = [&](const std::string& name) {
    try {
      for (int i = 0; i < 150; ++i) {
        std::string key = "shared/sub/" + name;
        PutString(storage, key, name);
        storage.Delete(std::vector<std::string>{key});
      }
    } catch (const std::exception& e) {
      ++failures;
      ADD_FAILURE() << e.what();
    }
  };
  std::thread a(churn, "a");
  std::thread b(churn, "b");
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(FilesBelow(dir.path()).empty());
}

TEST(FsStorageTest, AReaderNoticesAFileTruncatedUnderIt) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "k", std::string(1000, 'k'));
  auto reader = storage.Get("k");
  fs::resize_file(dir.path() / "k", 10);
  Error e = ExpectError([&] { ReadAll(*reader); });
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_TRUE(Contains(e, (dir.path() / "k").string())) << e.what();
}

TEST(FsStorageTest, AnOverwriteDoesNotDisturbAnOpenReader) {
  TempDir dir;
  FsStorage storage(dir.path());
  PutString(storage, "k", "old contents");
  auto reader = storage.Get("k");
  PutString(storage, "k", "new");
  EXPECT_EQ(ReadAll(*reader), "old contents");
}

TEST(FsStorageTest, SupportsAtomicRename) {
  TempDir dir;
  FsStorage storage(dir.path());
  EXPECT_TRUE(storage.Supports(StorageFeature::kAtomicRename));
  EXPECT_FALSE(storage.Supports(StorageFeature::kBatchDelete));
}

}  // namespace
}  // namespace walnut
