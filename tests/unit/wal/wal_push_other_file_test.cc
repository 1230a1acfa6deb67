// wal-push of files that are not WAL: WAL-G archives whatever it is given (scripts push their own
// files next to the WAL), and wal-fetch fetches them back by name.

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "io/digest.h"
#include "localfs/local_fs.h"
#include "pipeline/content_checksum.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"
#include "wal/archive_identity.h"
#include "wal/wal_fetch.h"
#include "wal/wal_push.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;

class WalPushOtherFileTest : public ::testing::Test {
 protected:
  WalPushOtherFileTest() : root_(memory_, "") {
    options_.file.pipeline.compression = CompressionMethod::kZstd;
    fs::create_directories(dir_.path() / "pg_wal");
  }

  fs::path File(const std::string& name, const std::string& content) {
    fs::path path = dir_.path() / "pg_wal" / name;
    testing::WriteFile(path, content);
    return path;
  }

  // wal-fetch of `name` into a new file; its content, or "" when not archived.
  std::string Fetch(const std::string& name) {
    const std::string destination = (dir_.path() / ("fetched-" + name)).string();
    wal::WalFetchResult result =
        wal::FetchWalFile(root_.Sub("wal_005"), options_.file.pipeline, name, destination,
                          wal::WalFetchOptions{.fs = LocalFs::Default()});
    return result == wal::WalFetchResult::kFetched ? testing::ReadFile(destination) : "";
  }

  testing::TempDir dir_;
  MemoryStorage memory_;
  Folder root_;
  WalPushOptions options_{.fs = LocalFs::Default()};
};

TEST_F(WalPushOtherFileTest, IsArchivedAsWalGDoesAndFetchedBack) {
  const std::string content = "-- pg_dumpall --globals-only\nCREATE ROLE app;\n";
  fs::path path = File("globals.sql", content);
  WalPush(root_, path, options_);

  // WAL-G's name: wal_005/<file name>.<compression extension>, with its checksum like WAL.
  auto info = memory_.Stat("wal_005/globals.sql.zst");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata.at(kContentSha256Metadata), Digest::Of(AsBytes(content)).Hex());
  // No page header, so no database system to check or record.
  EXPECT_FALSE(memory_.Stat(std::string(kArchiveIdentityObject)));
  EXPECT_EQ(Fetch("globals.sql"), content);
  EXPECT_EQ(Fetch("other.sql"), "");

  // Pushed again: equal content is success; different content is refused like WAL.
  WalPush(root_, path, options_);
  testing::WriteFile(path, content + "-- changed\n");
  EXPECT_EQ(ExpectError([&] { WalPush(root_, path, options_); }).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(Fetch("globals.sql"), content);
}

TEST_F(WalPushOtherFileTest, EmptyAndLargeFilesRoundTrip) {
  WalPush(root_, File("empty", ""), options_);
  EXPECT_TRUE(memory_.Stat("wal_005/empty.zst").has_value());
  EXPECT_EQ(Fetch("empty"), "");
  const std::string big = testing::RandomBytes(3 << 20, 7);  // not a segment size: no matter
  WalPush(root_, File("blob.bin", big), options_);
  EXPECT_EQ(Fetch("blob.bin"), big);
}

TEST_F(WalPushOtherFileTest, ANameThatWouldNotReadBackIsRefused) {
  options_.file.pipeline.compression = CompressionMethod::kNone;
  // Uncompressed, the object takes the file's name, and readers decode by its extension.
  for (const std::string name : {"notes.lz4", "dump.zst", "old.gz"}) {
    Error e = ExpectError([&] { WalPush(root_, File(name, "text"), options_); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_NE(std::string(e.what()).find("WALG_COMPRESSION_METHOD=none"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(memory_.ObjectCount(), 0u);
  WalPush(root_, File("notes.txt", "text"), options_);
  EXPECT_TRUE(memory_.Stat("wal_005/notes.txt").has_value());
  EXPECT_EQ(Fetch("notes.txt"), "text");

  // A path that names no file.
  EXPECT_EQ(ExpectError([&] { WalPush(root_, dir_.path() / "pg_wal" / "", options_); }).code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace walnut
