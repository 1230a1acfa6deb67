#include "wal/archive_identity.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "localfs/local_fs.h"
#include "storage/memory/memory_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSystemId = 7'300'000'000'000'000'001ull;

pg::WalLongPageHeader Header(uint64_t system_identifier) {
  pg::WalLongPageHeader header;
  header.magic = 0xD110;
  header.timeline = 1;
  header.system_identifier = system_identifier;
  header.segment_size = 16u << 20;
  header.block_size = 8192;
  return header;
}

class ArchiveIdentityGuardTest : public ::testing::Test {
 protected:
  void RemoveRecord() {
    std::vector<std::string> keys{std::string(kArchiveIdentityObject)};
    memory_.Delete(keys);
  }
  bool HasRecord() { return memory_.Stat(std::string(kArchiveIdentityObject)).has_value(); }
  fs::path CachePath() const { return cache_.path() / "walnut_archive_identity.json"; }

  MemoryStorage memory_;
  Folder root_{memory_, ""};
  testing::TempDir cache_;
};

TEST_F(ArchiveIdentityGuardTest, ReadsTheRecordOnlyWhenThereIsOne) {
  EXPECT_EQ(ReadArchiveIdentityRecord(root_), std::nullopt);
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path())
      .Check(Header(kSystemId), "000000010000000000000001");
  std::optional<std::string> record = ReadArchiveIdentityRecord(root_);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(ArchiveIdentityFromJson(*record, "x").system_identifier, kSystemId);
}

TEST_F(ArchiveIdentityGuardTest, AFreshCacheSparesTheStorageAStaleOneDoesNot) {
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path())
      .Check(Header(kSystemId), "000000010000000000000001");
  ASSERT_TRUE(fs::exists(CachePath()));
  // delete everything cleared the record while this cluster kept archiving.
  RemoveRecord();
  // Within the cache's lifetime nothing is asked (a later process, the same cache).
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path())
      .Check(Header(kSystemId), "000000010000000000000002");
  EXPECT_FALSE(HasRecord());
  // Once it is older than the lifetime, the storage is asked and the record written again.
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path(), std::chrono::seconds(0))
      .Check(Header(kSystemId), "000000010000000000000003");
  EXPECT_TRUE(HasRecord());
}

TEST_F(ArchiveIdentityGuardTest, AStaleCacheDoesNotLetAClusterIntoAnArchiveTakenMeanwhile) {
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path())
      .Check(Header(kSystemId), "000000010000000000000001");
  RemoveRecord();
  testing::TempDir other_cache;
  ArchiveIdentityGuard(root_, LocalFs::Default(), other_cache.path())
      .Check(Header(kSystemId + 1), "000000010000000000000001");
  // The first cluster's cache has expired: it is refused now, not mixed in.
  ArchiveIdentityGuard stale(root_, LocalFs::Default(), cache_.path(), std::chrono::seconds(0));
  Error e =
      testing::ExpectError([&] { stale.Check(Header(kSystemId), "000000010000000000000002"); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
}

TEST_F(ArchiveIdentityGuardTest, ACacheWithoutATimeOrFromTheFutureIsAMiss) {
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path())
      .Check(Header(kSystemId), "000000010000000000000001");
  RemoveRecord();
  nlohmann::json cache = nlohmann::json::parse(testing::ReadFile(CachePath()));
  cache.erase("verified_at");  // as written before the cache had a lifetime
  testing::WriteFile(CachePath(), cache.dump());
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path())
      .Check(Header(kSystemId), "000000010000000000000002");
  EXPECT_TRUE(HasRecord());

  RemoveRecord();
  cache = nlohmann::json::parse(testing::ReadFile(CachePath()));
  cache["verified_at"] = cache["verified_at"].get<int64_t>() + 3600;
  testing::WriteFile(CachePath(), cache.dump());
  ArchiveIdentityGuard(root_, LocalFs::Default(), cache_.path())
      .Check(Header(kSystemId), "000000010000000000000003");
  EXPECT_TRUE(HasRecord());
}

}  // namespace
}  // namespace walnut
