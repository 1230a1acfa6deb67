#include "storage/failover_storage.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/memory/memory_storage.h"
#include "support/faulty_storage.h"
#include "support/storage_conformance.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::FaultyStorage;
using testing::StorageFactory;
using testing::StorageOp;

// Two empty members: the whole contract holds through the merged view.
WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(
    Failover, StorageFactory{"failover_memory", [] {
                               return std::make_unique<FailoverStorage>(
                                   std::vector<FailoverStorage::Member>{
                                       {"default", std::make_shared<MemoryStorage>("a")},
                                       {"spare", std::make_shared<MemoryStorage>("b")}});
                             }});

void Write(Storage& s, const std::string& key, const std::string& data) {
  auto w = s.Put(key);
  w->Write(AsBytes(data));
  w->Close();
}

std::string ReadObject(Storage& s, const std::string& key) {
  auto r = s.Get(key);
  return testing::ReadAll(*r);
}

Error Dead() { return Error(ErrorCode::kNetwork, "connection refused", /*retryable=*/true); }

struct Fixture {
  std::shared_ptr<MemoryStorage> primary_mem = std::make_shared<MemoryStorage>("primary");
  std::shared_ptr<FaultyStorage> primary = std::make_shared<FaultyStorage>(*primary_mem);
  std::shared_ptr<MemoryStorage> spare = std::make_shared<MemoryStorage>("spare");
  std::vector<std::string> failed;
  FailoverStorage storage{{{"default", primary}, {"spare", spare}},
                          [this](const std::string& name, const Error&) {
                            failed.push_back(name);
                          }};
};

TEST(FailoverStorageTest, WritesGoToThePrimaryWhileItAnswers) {
  Fixture f;
  Write(f.storage, "wal_005/1", "one");
  EXPECT_TRUE(f.primary_mem->Stat("wal_005/1"));
  EXPECT_FALSE(f.spare->Stat("wal_005/1"));
  EXPECT_TRUE(f.failed.empty());
}

TEST(FailoverStorageTest, ARewriteStaysWhereTheObjectIs) {
  Fixture f;
  f.spare->Commit("basebackups_005/b/metadata.json", "old");
  Write(f.storage, "basebackups_005/b/metadata.json", "new");
  EXPECT_EQ(ReadObject(*f.spare, "basebackups_005/b/metadata.json"), "new");
  EXPECT_FALSE(f.primary_mem->Stat("basebackups_005/b/metadata.json"));
}

TEST(FailoverStorageTest, ADeadPrimaryIsLeftOutAndWritesGoToTheSpare) {
  Fixture f;
  f.primary->FailCall(StorageOp::kStat, 1, Dead(), 100);
  Write(f.storage, "wal_005/2", "two");
  EXPECT_EQ(ReadObject(*f.spare, "wal_005/2"), "two");
  EXPECT_EQ(f.failed, std::vector<std::string>{"default"});
  // Left out for the rest of the command: no more calls reach it.
  uint64_t stats = f.primary->calls(StorageOp::kStat);
  Write(f.storage, "wal_005/3", "three");
  EXPECT_EQ(f.primary->calls(StorageOp::kStat), stats);
  EXPECT_EQ(f.failed.size(), 1u);
}

TEST(FailoverStorageTest, ReadsFindObjectsInAnyMember) {
  Fixture f;
  f.primary_mem->Commit("wal_005/a", "from primary");
  f.spare->Commit("wal_005/b", "from spare");
  EXPECT_EQ(ReadObject(f.storage, "wal_005/a"), "from primary");
  EXPECT_EQ(ReadObject(f.storage, "wal_005/b"), "from spare");
  EXPECT_EQ(f.storage.HolderOf("wal_005/b"), "spare");
  EXPECT_EQ(f.storage.HolderOf("wal_005/a"), "default");
  EXPECT_EQ(f.storage.HolderOf("wal_005/c"), "");
  try {
    f.storage.Get("wal_005/c");
    FAIL() << "expected kNotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST(FailoverStorageTest, AMissingObjectWithAFailedMemberIsNotReportedAbsent) {
  Fixture f;
  f.primary->FailCall(StorageOp::kStat, 1, Dead(), 100);
  // The object may be on the member that failed: "not found" would end a recovery early.
  try {
    f.storage.Get("wal_005/x");
    FAIL() << "expected the member's error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  }
  EXPECT_THROW(f.storage.Stat("wal_005/x"), Error);
}

TEST(FailoverStorageTest, ListingsMergeMembersAndNameWhereEachObjectIs) {
  Fixture f;
  f.primary_mem->Commit("basebackups_005/b1_backup_stop_sentinel.json", "{}");
  f.spare->Commit("basebackups_005/b2_backup_stop_sentinel.json", "{}");
  f.spare->Commit("basebackups_005/b1_backup_stop_sentinel.json", "{}");  // in both
  std::vector<std::string> seen;
  f.storage.List("basebackups_005/", ListOptions{},
                 [&](const ObjectInfo& info) { seen.push_back(info.key); });
  std::vector<std::string> want = {"basebackups_005/b1_backup_stop_sentinel.json",
                                   "basebackups_005/b2_backup_stop_sentinel.json"};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(f.storage.HolderOf(want[0]), "default");
  EXPECT_EQ(f.storage.HolderOf(want[1]), "spare");
}

TEST(FailoverStorageTest, AListingSurvivesADeadMember) {
  Fixture f;
  f.spare->Commit("wal_005/b", "x");
  f.primary->FailCall(StorageOp::kList, 1, Dead(), 100);
  std::vector<std::string> keys;
  f.storage.List("", ListOptions{}, [&](const ObjectInfo& info) { keys.push_back(info.key); });
  EXPECT_EQ(keys, std::vector<std::string>{"wal_005/b"});
  EXPECT_EQ(f.failed, std::vector<std::string>{"default"});
}

TEST(FailoverStorageTest, DeletesReachEveryMember) {
  Fixture f;
  f.primary_mem->Commit("k", "1");
  f.spare->Commit("k", "2");
  std::string key = "k";
  f.storage.Delete(std::span<const std::string>(&key, 1));
  EXPECT_FALSE(f.primary_mem->Stat("k"));
  EXPECT_FALSE(f.spare->Stat("k"));
}

TEST(FailoverStorageTest, ADeleteThatMissedAMemberFails) {
  Fixture f;
  f.primary->FailCall(StorageOp::kDelete, 1, Dead());
  f.spare->Commit("k", "2");
  std::string key = "k";
  EXPECT_THROW(f.storage.Delete(std::span<const std::string>(&key, 1)), Error);
  EXPECT_FALSE(f.spare->Stat("k"));
}

TEST(FailoverStorageTest, AnUploadThatFailsMarksItsMemberDead) {
  Fixture f;
  f.primary->FailCall(StorageOp::kClose, 1, Dead());
  auto w = f.storage.Put("wal_005/4");
  w->Write(AsBytes(std::string("four")));
  EXPECT_THROW(w->Close(), Error);
  EXPECT_EQ(f.failed, std::vector<std::string>{"default"});
  // The next upload of this command goes to the spare.
  Write(f.storage, "wal_005/4", "four");
  EXPECT_EQ(ReadObject(*f.spare, "wal_005/4"), "four");
}

TEST(FailoverStorageTest, ObjectProblemsAreNotMemberFailures) {
  Fixture f;
  f.primary->FailCall(StorageOp::kStat, 1, Error(ErrorCode::kCorruption, "bad"));
  EXPECT_THROW(f.storage.Stat("k"), Error);
  EXPECT_TRUE(f.failed.empty());
}

}  // namespace
}  // namespace walnut
