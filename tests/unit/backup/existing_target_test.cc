#include "backup/existing_target.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "io/digest.h"
#include "localfs/local_fs.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr int64_t kMtime = 1700000000;

std::string Sha(const std::string& data) { return Digest::Of(AsBytes(data)).Hex(); }

BackupFileFacts File(const std::string& content, int64_t mtime = kMtime) {
  BackupFileFacts facts;
  facts.regular = true;
  facts.size = content.size();
  facts.sha256_hex = Sha(content);
  facts.mtime = mtime;
  return facts;
}

BackupFileFacts Directory() { return BackupFileFacts{}; }

void SetMtime(const fs::path& path, int64_t seconds) {
  ASSERT_EQ(LocalFs::Default().SetMtime(path.string(), seconds), 0) << path;
}

int64_t Mtime(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mtime;
}

TEST(CompareExistingFileTest, ChecksumModeHashesEveryFileOfTheSameSize) {
  BackupFileFacts backup = File("abcd");
  LocalFileFacts same{FileType::kRegular, 4, kMtime};
  EXPECT_EQ(CompareExistingFile(backup, same, DeltaCheck::kChecksum), DeltaVerdict::kHash);
  LocalFileFacts longer{FileType::kRegular, 5, kMtime};
  EXPECT_EQ(CompareExistingFile(backup, longer, DeltaCheck::kChecksum), DeltaVerdict::kRewrite);
  LocalFileFacts link{FileType::kSymlink, 4, kMtime};
  EXPECT_EQ(CompareExistingFile(backup, link, DeltaCheck::kChecksum), DeltaVerdict::kRewrite);
}

TEST(CompareExistingFileTest, FastModeTrustsSizeAndMtimeAndHashesTheRest) {
  BackupFileFacts backup = File("abcd");
  LocalFileFacts same{FileType::kRegular, 4, kMtime};
  EXPECT_EQ(CompareExistingFile(backup, same, DeltaCheck::kSizeAndMtime), DeltaVerdict::kKeep);
  LocalFileFacts touched{FileType::kRegular, 4, kMtime + 1};
  EXPECT_EQ(CompareExistingFile(backup, touched, DeltaCheck::kSizeAndMtime), DeltaVerdict::kHash);
  LocalFileFacts longer{FileType::kRegular, 5, kMtime};
  EXPECT_EQ(CompareExistingFile(backup, longer, DeltaCheck::kSizeAndMtime), DeltaVerdict::kRewrite);
}

TEST(CompareExistingFileTest, WithoutTheContentsDigestTheFileIsRestored) {
  // An increment of a chain, or a WAL-G backup: no SHA-256 of the whole content.
  BackupFileFacts backup = File("abcd");
  backup.sha256_hex.clear();
  LocalFileFacts same{FileType::kRegular, 4, kMtime};
  EXPECT_EQ(CompareExistingFile(backup, same, DeltaCheck::kChecksum), DeltaVerdict::kRewrite);
  // --delta-fast still trusts a recorded size and mtime.
  EXPECT_EQ(CompareExistingFile(backup, same, DeltaCheck::kSizeAndMtime), DeltaVerdict::kKeep);
  backup.size.reset();  // WAL-G records no size: nothing to trust
  EXPECT_EQ(CompareExistingFile(backup, same, DeltaCheck::kSizeAndMtime), DeltaVerdict::kRewrite);
}

TEST(RefuseLivePostmasterTest, ALivePidIsRefusedAStaleOneIsNot) {
  TempDir dir;
  RefuseLivePostmaster(LocalFs::Default(), dir.path());  // no postmaster.pid
  WriteFile(dir.path() / "postmaster.pid", "4242\n/data\n1700000000\n5432\n");
  auto alive = [](int64_t pid) { return pid == 4242; };
  auto dead = [](int64_t) { return false; };
  Error error = ExpectError([&] { RefuseLivePostmaster(LocalFs::Default(), dir.path(), alive); });
  EXPECT_EQ(error.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(error.what()).find("pid 4242"), std::string::npos) << error.what();
  EXPECT_NE(std::string(error.what()).find(dir.path().string()), std::string::npos);
  RefuseLivePostmaster(LocalFs::Default(), dir.path(), dead);
  // A single-user backend writes its PID negated.
  WriteFile(dir.path() / "postmaster.pid", "-4242\n");
  EXPECT_THROW(RefuseLivePostmaster(LocalFs::Default(), dir.path(), alive), Error);
  WriteFile(dir.path() / "postmaster.pid", "not a pid\n");
  EXPECT_THROW(RefuseLivePostmaster(LocalFs::Default(), dir.path(), dead), Error);
  // The real check: this process is alive.
  WriteFile(dir.path() / "postmaster.pid", std::to_string(::getpid()) + "\n");
  EXPECT_THROW(RefuseLivePostmaster(LocalFs::Default(), dir.path()), Error);
}

TEST(ReadControlSystemIdentifierTest, ReadsTheFirstEightBytesLittleEndian) {
  TempDir dir;
  EXPECT_FALSE(ReadControlSystemIdentifier(LocalFs::Default(), dir.path()));
  fs::create_directory(dir.path() / "global");
  std::string control("\x08\x07\x06\x05\x04\x03\x02\x01rest of pg_control", 26);
  WriteFile(dir.path() / "global/pg_control", control);
  EXPECT_EQ(ReadControlSystemIdentifier(LocalFs::Default(), dir.path()),
            std::optional<uint64_t>(0x0102030405060708ULL));
  WriteFile(dir.path() / "global/pg_control", "abc");
  EXPECT_THROW(ReadControlSystemIdentifier(LocalFs::Default(), dir.path()), Error);
}

class ReconcileTest : public ::testing::Test {
 protected:
  void Put(const std::string& relative, const std::string& content, int64_t mtime = kMtime) {
    fs::create_directories((dir_.path() / relative).parent_path());
    WriteFile(dir_.path() / relative, content);
    SetMtime(dir_.path() / relative, mtime);
  }
  ExistingTargetResult Reconcile(DeltaCheck check) {
    ExistingTargetOptions options;
    options.check = check;
    options.fsync = false;
    options.leave_alone.insert("global/pg_control");
    return ReconcileExistingTarget(LocalFs::Default(), dir_.path(), expected_, options);
  }
  TempDir dir_;
  std::unordered_map<std::string, BackupFileFacts> expected_;
};

TEST_F(ReconcileTest, KeepsEqualFilesRewritesTheRestAndRemovesWhatTheBackupLacks) {
  expected_["PG_VERSION"] = File("15\n");
  expected_["base"] = Directory();
  expected_["base/1"] = Directory();
  expected_["base/1/1259"] = File("pages-v1");
  expected_["base/1/2000"] = File("same-size");  // same size, other content locally
  expected_["base/1/3000"] = File("short");      // other size locally
  expected_["base/1/4000"] = File("not there");  // absent locally
  expected_["global"] = Directory();
  expected_["pg_wal"] = File("a file");    // a directory locally
  Put("PG_VERSION", "15\n", kMtime + 50);  // equal content, touched
  Put("base/1/1259", "pages-v1");
  Put("base/1/2000", "SAME-SIZE");
  Put("base/1/3000", "longer content");
  Put("base/1/5000", "a dropped table");
  Put("base/16384/1", "a dropped database");
  Put("postmaster.pid", "1\n");
  Put("pg_wal/000000010000000000000001", "old wal");
  Put("global/pg_control", "left alone");

  ExistingTargetResult result = Reconcile(DeltaCheck::kChecksum);
  EXPECT_EQ(result.kept, (std::unordered_set<std::string>{"PG_VERSION", "base/1/1259"}));
  EXPECT_EQ(result.present, (std::unordered_set<std::string>{"base", "base/1", "global"}));
  EXPECT_EQ(result.files_hashed, 3u);  // PG_VERSION, 1259, 2000: the sizes that matched
  EXPECT_EQ(result.rewrite, 4u);       // 2000, 3000, 4000, pg_wal
  EXPECT_EQ(result.removed, 4u);       // 5000, base/16384, postmaster.pid, the pg_wal directory
  EXPECT_FALSE(fs::exists(dir_.path() / "base/1/5000"));
  EXPECT_FALSE(fs::exists(dir_.path() / "base/16384"));
  EXPECT_FALSE(fs::exists(dir_.path() / "postmaster.pid"));
  EXPECT_FALSE(fs::exists(dir_.path() / "pg_wal"));
  // Files to rewrite stay until the restore writes them; pg_control is not touched here.
  EXPECT_EQ(ReadFile(dir_.path() / "base/1/2000"), "SAME-SIZE");
  EXPECT_EQ(ReadFile(dir_.path() / "global/pg_control"), "left alone");
  // A file found equal by its digest gets the backup's mtime, for a later --delta-fast.
  EXPECT_EQ(Mtime(dir_.path() / "PG_VERSION"), kMtime);
}

TEST_F(ReconcileTest, FastModeReadsOnlyFilesWhoseMtimeMoved) {
  expected_["base"] = Directory();
  expected_["base/a"] = File("aaaa");
  expected_["base/b"] = File("bbbb");
  expected_["base/c"] = File("cccc");
  Put("base/a", "aaaa");
  Put("base/b", "BBBB");              // changed within the same second: trusted, as pgBackRest
  Put("base/c", "cccc", kMtime + 7);  // touched: read, equal
  ExistingTargetResult result = Reconcile(DeltaCheck::kSizeAndMtime);
  EXPECT_EQ(result.kept, (std::unordered_set<std::string>{"base/a", "base/b", "base/c"}));
  EXPECT_EQ(result.files_hashed, 1u);
  EXPECT_EQ(Mtime(dir_.path() / "base/c"), kMtime);

  // The checksum mode finds what the fast one trusted.
  result = Reconcile(DeltaCheck::kChecksum);
  EXPECT_EQ(result.kept, (std::unordered_set<std::string>{"base/a", "base/c"}));
  EXPECT_EQ(result.files_hashed, 3u);
}

TEST_F(ReconcileTest, LinksOfTheBackupStayAndOtherLinksGo) {
  expected_["pg_tblspc"] = Directory();
  expected_["pg_tblspc/16500"] = Directory();  // a link in the backup (no size, no digest)
  expected_["data"] = File("x");
  fs::create_directory(dir_.path() / "pg_tblspc");
  fs::create_directory_symlink("/nonexistent", dir_.path() / "pg_tblspc/16500");
  fs::create_symlink("/etc/hostname", dir_.path() / "data");  // a link where a file belongs
  fs::create_symlink("/etc", dir_.path() / "stray");
  ExistingTargetResult result = Reconcile(DeltaCheck::kChecksum);
  EXPECT_TRUE(result.present.count("pg_tblspc/16500"));
  EXPECT_TRUE(fs::is_symlink(dir_.path() / "pg_tblspc/16500"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_.path() / "data")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_.path() / "stray")));
  EXPECT_TRUE(fs::exists("/etc/hostname"));  // links are removed, never followed
  EXPECT_EQ(result.removed, 2u);
}

}  // namespace
}  // namespace walnut
