#include "support/storage_conformance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using std::chrono::system_clock;

void PutString(Storage& storage, std::string_view key, const std::string& data) {
  auto writer = storage.Put(key, PutOptions{data.size(), {}});
  writer->Write(AsBytes(data));
  writer->Close();
}

std::string GetString(Storage& storage, std::string_view key, ByteRange range = {}) {
  auto reader = storage.Get(key, range);
  return ReadAll(*reader);
}

// Keys (common prefixes with their trailing '/') in the order List() reported them.
std::vector<std::string> ListKeys(Storage& storage, std::string_view prefix,
                                  bool recursive = true) {
  std::vector<std::string> keys;
  storage.List(prefix, ListOptions{recursive}, [&](const ObjectInfo& info) {
    EXPECT_EQ(info.is_prefix, info.key.ends_with('/')) << info.key;
    keys.push_back(info.key);
  });
  return keys;
}

std::vector<std::string> Sorted(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The same data was read back; avoids printing megabytes on failure.
void ExpectSameBytes(const std::string& actual, const std::string& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  auto mismatch = std::mismatch(actual.begin(), actual.end(), expected.begin());
  EXPECT_TRUE(mismatch.first == actual.end())
      << "first difference at byte " << (mismatch.first - actual.begin());
}

}  // namespace

void PrintTo(const StorageFactory& factory, std::ostream* os) { *os << factory.name; }

::testing::internal::ParamGenerator<StorageFactory> StorageConformanceParams(
    StorageFactory factory) {
  LinkMetadataConformanceTests();
  return ::testing::Values(std::move(factory));
}

// Programs that link the support library without instantiating the suite are fine.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StorageConformanceTest);

void StorageConformanceTest::SetUp() {
  storage_ = GetParam().make();
  if (!storage_) GTEST_SKIP() << "storage " << GetParam().name << ": " << GetParam().skip_reason;
}

void StorageConformanceTest::TearDown() {
  if (!storage_) return;
  // Leave a shared bucket as we found it; a failure here is not the test's verdict.
  try {
    std::vector<std::string> keys;
    storage_->List("", ListOptions{}, [&](const ObjectInfo& info) { keys.push_back(info.key); });
    storage_->Delete(keys);
  } catch (const std::exception& e) {
    std::cerr << "cleanup of " << storage_->Describe() << " failed: " << e.what() << "\n";
  }
  storage_.reset();
}

TEST_P(StorageConformanceTest, DescribesItself) { EXPECT_FALSE(storage().Describe().empty()); }

TEST_P(StorageConformanceTest, RoundTripsAnEmptyObject) {
  PutString(storage(), "empty", "");
  EXPECT_EQ(GetString(storage(), "empty"), "");
  auto info = storage().Stat("empty");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(ListKeys(storage(), ""), std::vector<std::string>{"empty"});
}

TEST_P(StorageConformanceTest, RoundTripsOneByte) {
  PutString(storage(), "one", "x");
  EXPECT_EQ(GetString(storage(), "one"), "x");
  EXPECT_EQ(storage().Stat("one")->size, 1u);
}

TEST_P(StorageConformanceTest, RoundTripsFiveMiBInRandomChunks) {
  const std::string data = RandomBytes(5_MiB + 123, 42);
  auto writer = storage().Put("dir/sub/large.bin");
  WriteInRandomChunks(*writer, data, 300000, 3);
  auto reader = storage().Get("dir/sub/large.bin");
  ExpectSameBytes(ReadInRandomChunks(*reader, 70000, 5), data);
  EXPECT_EQ(storage().Stat("dir/sub/large.bin")->size, data.size());
}

TEST_P(StorageConformanceTest, ReadsRanges) {
  const std::string data = RandomBytes(1000, 8);
  PutString(storage(), "ranged", data);
  EXPECT_EQ(GetString(storage(), "ranged", {0, std::nullopt}), data);
  EXPECT_EQ(GetString(storage(), "ranged", {10, std::nullopt}), data.substr(10));
  EXPECT_EQ(GetString(storage(), "ranged", {999, std::nullopt}), data.substr(999));
  EXPECT_EQ(GetString(storage(), "ranged", {10, 20}), data.substr(10, 20));
  EXPECT_EQ(GetString(storage(), "ranged", {0, 1}), data.substr(0, 1));
  EXPECT_EQ(GetString(storage(), "ranged", {0, 1000}), data);
}

TEST_P(StorageConformanceTest, ClipsRangesAtTheEnd) {
  const std::string data = RandomBytes(1000, 9);
  PutString(storage(), "ranged", data);
  EXPECT_EQ(GetString(storage(), "ranged", {990, 100}), data.substr(990));
  EXPECT_EQ(GetString(storage(), "ranged", {0, 5000}), data);
  EXPECT_EQ(GetString(storage(), "ranged", {1000, std::nullopt}), "");
  EXPECT_EQ(GetString(storage(), "ranged", {5000, std::nullopt}), "");
  EXPECT_EQ(GetString(storage(), "ranged", {5000, 10}), "");
  EXPECT_EQ(GetString(storage(), "ranged", {10, 0}), "");
}

TEST_P(StorageConformanceTest, ReadsARangeOfALargeObjectInRandomChunks) {
  const std::string data = RandomBytes(3_MiB, 10);
  PutString(storage(), "large", data);
  auto reader = storage().Get("large", {1_MiB + 7, 1_MiB + 3});
  ExpectSameBytes(ReadInRandomChunks(*reader, 50000, 11), data.substr(1_MiB + 7, 1_MiB + 3));
}

TEST_P(StorageConformanceTest, StatReportsSizeAndModificationTime) {
  auto before = system_clock::now();
  PutString(storage(), "stat/me", std::string(1234, 's'));
  auto after = system_clock::now();
  auto info = storage().Stat("stat/me");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "stat/me");
  EXPECT_EQ(info->size, 1234u);
  EXPECT_FALSE(info->is_prefix);
  // Object stores report whole seconds from their own clock.
  EXPECT_GE(info->mtime, before - std::chrono::seconds(60));
  EXPECT_LE(info->mtime, after + std::chrono::seconds(60));
}

TEST_P(StorageConformanceTest, StatOfAMissingKeyIsEmpty) {
  EXPECT_FALSE(storage().Stat("missing").has_value());
  PutString(storage(), "dir/object", "x");
  // A prefix of objects is not an object.
  EXPECT_FALSE(storage().Stat("dir").has_value());
  EXPECT_FALSE(storage().Stat("dir/obj").has_value());
}

TEST_P(StorageConformanceTest, GetOfAMissingKeyThrowsNotFoundNamingTheKey) {
  Error e = ExpectError([&] { storage().Get("no/such/key.lz4"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("no/such/key.lz4"), std::string::npos) << e.what();
  EXPECT_FALSE(e.retryable());

  Error ranged = ExpectError([&] { storage().Get("no/such/key.lz4", {5, 10}); });
  EXPECT_EQ(ranged.code(), ErrorCode::kNotFound);
}

TEST_P(StorageConformanceTest, OverwriteReplacesTheObject) {
  PutString(storage(), "k", "a much longer first version");
  PutString(storage(), "k", "short");
  EXPECT_EQ(GetString(storage(), "k"), "short");
  EXPECT_EQ(storage().Stat("k")->size, 5u);
  EXPECT_EQ(ListKeys(storage(), ""), std::vector<std::string>{"k"});
}

TEST_P(StorageConformanceTest, NothingIsVisibleBeforeClose) {
  auto writer = storage().Put("pending/object");
  writer->Write(AsBytes(std::string(70000, 'p')));
  EXPECT_FALSE(storage().Stat("pending/object").has_value());
  EXPECT_TRUE(ListKeys(storage(), "").empty());
  writer->Close();
  EXPECT_EQ(storage().Stat("pending/object")->size, 70000u);
}

TEST_P(StorageConformanceTest, AnAbortedWriterLeavesNoObject) {
  auto writer = storage().Put("aborted/object");
  writer->Write(AsBytes(RandomBytes(100000, 1)));
  writer->Abort();
  writer.reset();
  EXPECT_FALSE(storage().Stat("aborted/object").has_value());
  EXPECT_TRUE(ListKeys(storage(), "").empty());
  EXPECT_TRUE(ListKeys(storage(), "", false).empty());
}

TEST_P(StorageConformanceTest, AWriterDestroyedWithoutCloseLeavesNoObject) {
  {
    auto writer = storage().Put("dropped/object");
    writer->Write(AsBytes(RandomBytes(100000, 2)));
  }
  { auto unused = storage().Put("dropped/never-written"); }
  EXPECT_FALSE(storage().Stat("dropped/object").has_value());
  EXPECT_FALSE(storage().Stat("dropped/never-written").has_value());
  EXPECT_TRUE(ListKeys(storage(), "").empty());
}

TEST_P(StorageConformanceTest, AnAbortedOverwriteKeepsTheExistingObject) {
  PutString(storage(), "keep", "original");
  {
    auto writer = storage().Put("keep");
    writer->Write(AsBytes(std::string("replacement that never lands")));
    writer->Abort();
  }
  {
    auto writer = storage().Put("keep");
    writer->Write(AsBytes(std::string("dropped replacement")));
  }
  EXPECT_EQ(GetString(storage(), "keep"), "original");
}

TEST_P(StorageConformanceTest, TheLastCloseWins) {
  auto first = storage().Put("race");
  auto second = storage().Put("race");
  first->Write(AsBytes(std::string("first")));
  second->Write(AsBytes(std::string("second")));
  second->Close();
  EXPECT_EQ(GetString(storage(), "race"), "second");
  first->Close();
  EXPECT_EQ(GetString(storage(), "race"), "first");
}

TEST_P(StorageConformanceTest, ListsRecursivelyInKeyOrder) {
  // '-' (0x2d) and '.' (0x2e) sort before '/' (0x2f): "a-b" and "a.0" come before "a/...".
  const std::vector<std::string> keys = {"b/x", "a.0", "a/b", "a-b", "a/c/d", "ab", "a/b2", "c"};
  for (size_t i = 0; i < keys.size(); ++i) PutString(storage(), keys[i], std::string(i + 1, 'v'));
  EXPECT_EQ(ListKeys(storage(), ""), Sorted(keys));

  std::vector<ObjectInfo> infos;
  storage().List("", ListOptions{}, [&](const ObjectInfo& info) { infos.push_back(info); });
  ASSERT_EQ(infos.size(), keys.size());
  for (const ObjectInfo& info : infos) {
    size_t i = std::find(keys.begin(), keys.end(), info.key) - keys.begin();
    EXPECT_EQ(info.size, i + 1) << info.key;
    EXPECT_FALSE(info.is_prefix);
  }
}

TEST_P(StorageConformanceTest, ListFiltersByPrefix) {
  for (const char* key : {"b/x", "a.0", "a/b", "a-b", "a/c/d", "ab", "a/b2", "c"}) {
    PutString(storage(), key, "x");
  }
  using Keys = std::vector<std::string>;
  EXPECT_EQ(ListKeys(storage(), "a/"), (Keys{"a/b", "a/b2", "a/c/d"}));
  EXPECT_EQ(ListKeys(storage(), "a"), (Keys{"a-b", "a.0", "a/b", "a/b2", "a/c/d", "ab"}));
  EXPECT_EQ(ListKeys(storage(), "a/b"), (Keys{"a/b", "a/b2"}));
  EXPECT_EQ(ListKeys(storage(), "a/c/"), (Keys{"a/c/d"}));
  EXPECT_EQ(ListKeys(storage(), "a/c/d"), (Keys{"a/c/d"}));
  EXPECT_EQ(ListKeys(storage(), "zzz"), Keys{});
  EXPECT_EQ(ListKeys(storage(), "nothing/here/"), Keys{});
}

TEST_P(StorageConformanceTest, ListPrefixMayEndInTheMiddleOfAName) {
  using Keys = std::vector<std::string>;
  for (const char* key :
       {"wal_005/000000010000000000000001.lz4", "wal_005/000000010000000000000002.lz4",
        "wal_005/000000020000000000000001.lz4", "wal_005/00000001.history.lz4",
        "basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json"}) {
    PutString(storage(), key, "x");
  }
  EXPECT_EQ(ListKeys(storage(), "wal_005/0000000100"),
            (Keys{"wal_005/000000010000000000000001.lz4", "wal_005/000000010000000000000002.lz4"}));
  // '.' (0x2e) sorts before '0'.
  EXPECT_EQ(ListKeys(storage(), "wal_005/00000001"),
            (Keys{"wal_005/00000001.history.lz4", "wal_005/000000010000000000000001.lz4",
                  "wal_005/000000010000000000000002.lz4"}));
  EXPECT_EQ(ListKeys(storage(), "basebackups_005/base_"),
            Keys{"basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json"});
  EXPECT_EQ(ListKeys(storage(), "wal", false), (Keys{"wal_005/"}));
}

TEST_P(StorageConformanceTest, ListsOneLevelWithCommonPrefixes) {
  for (const char* key : {"b/x", "a.0", "a/b", "a-b", "a/c/d", "ab", "a/b2", "c"}) {
    PutString(storage(), key, "xyz");
  }
  using Keys = std::vector<std::string>;
  EXPECT_EQ(ListKeys(storage(), "", false), (Keys{"a-b", "a.0", "a/", "ab", "b/", "c"}));
  EXPECT_EQ(ListKeys(storage(), "a/", false), (Keys{"a/b", "a/b2", "a/c/"}));
  EXPECT_EQ(ListKeys(storage(), "a/c/", false), (Keys{"a/c/d"}));
  EXPECT_EQ(ListKeys(storage(), "a", false), (Keys{"a-b", "a.0", "a/", "ab"}));
  EXPECT_EQ(ListKeys(storage(), "a/b", false), (Keys{"a/b", "a/b2"}));

  storage().List("", ListOptions{false}, [&](const ObjectInfo& info) {
    if (info.is_prefix) return;
    EXPECT_EQ(info.size, 3u) << info.key;
  });
}

TEST_P(StorageConformanceTest, ACommonPrefixDisappearsWithItsLastObject) {
  PutString(storage(), "d/e/f", "x");
  PutString(storage(), "d/g", "y");
  using Keys = std::vector<std::string>;
  EXPECT_EQ(ListKeys(storage(), "", false), Keys{"d/"});
  storage().Delete(std::vector<std::string>{"d/e/f"});
  EXPECT_EQ(ListKeys(storage(), "d/", false), Keys{"d/g"});
  storage().Delete(std::vector<std::string>{"d/g"});
  EXPECT_EQ(ListKeys(storage(), "", false), Keys{});
  EXPECT_EQ(ListKeys(storage(), "d/", false), Keys{});
  // And the storage is still usable at that place.
  PutString(storage(), "d/e/f", "again");
  EXPECT_EQ(GetString(storage(), "d/e/f"), "again");
}

TEST_P(StorageConformanceTest, ListsAndDeletesMoreThanOnePageOfKeys) {
  // 1,200 keys: past S3's 1,000-key list page and its 1,000-key DeleteObjects batch.
  constexpr int kKeys = 1200;
  constexpr int kThreads = 4;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(fmt::format("many/key-{:05d}", i));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = t; i < kKeys; i += kThreads) PutString(storage(), keys[i], std::to_string(i));
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);
  PutString(storage(), "other/x", "x");

  EXPECT_EQ(ListKeys(storage(), "many/"), keys);
  EXPECT_EQ(ListKeys(storage(), "many/", false), keys);
  EXPECT_EQ(ListKeys(storage(), "", false), (std::vector<std::string>{"many/", "other/"}));
  std::vector<std::string> page(keys.begin() + 1100, keys.begin() + 1200);
  EXPECT_EQ(ListKeys(storage(), "many/key-011"), page);

  storage().Delete(keys);
  EXPECT_EQ(ListKeys(storage(), ""), std::vector<std::string>{"other/x"});
}

TEST_P(StorageConformanceTest, DeletesABatchIncludingMissingKeys) {
  for (const char* key : {"k1", "k2", "k3", "k4", "dir/k5"}) PutString(storage(), key, "x");
  storage().Delete(std::vector<std::string>{"k1", "k3", "missing", "dir/k5", "dir/missing"});
  EXPECT_EQ(ListKeys(storage(), ""), (std::vector<std::string>{"k2", "k4"}));
  storage().Delete(std::vector<std::string>{});
  storage().Delete(std::vector<std::string>{"k2"});
  storage().Delete(std::vector<std::string>{"k2"});
  EXPECT_EQ(ListKeys(storage(), ""), std::vector<std::string>{"k4"});
}

TEST_P(StorageConformanceTest, DeletingAPrefixNameLeavesObjectsBelowIt) {
  PutString(storage(), "dir/object", "x");
  storage().Delete(std::vector<std::string>{"dir"});
  EXPECT_EQ(GetString(storage(), "dir/object"), "x");
}

TEST_P(StorageConformanceTest, EightThreadsPutAndGetAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kObjectsPerThread = 12;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kObjectsPerThread; ++i) {
          uint64_t seed = static_cast<uint64_t>(t * 1000 + i);
          std::string key = fmt::format("thread-{}/object-{}", t, i);
          std::string data = RandomBytes((seed * 7919) % 200000, seed);
          auto writer = storage().Put(key);
          WriteInRandomChunks(*writer, data, 30000, seed);
          auto reader = storage().Get(key);
          if (ReadInRandomChunks(*reader, 20000, seed) != data) {
            ++failures;
            ADD_FAILURE() << "read back different bytes for " << key;
          }
        }
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ListKeys(storage(), "thread-").size(), size_t{kThreads * kObjectsPerThread});
}

TEST_P(StorageConformanceTest, HandlesKeysThatNeedEncoding) {
  const std::vector<std::string> keys = {"with space/a b.txt", "plus+sign", "equals=sign",
                                         "percent%20literal",  "amp&and",   "unicode/żółw-🐢-ü",
                                         "mixed/a+b=c d%e&f"};
  for (const std::string& key : keys) PutString(storage(), key, "content of " + key);
  for (const std::string& key : keys) {
    EXPECT_EQ(GetString(storage(), key), "content of " + key);
    auto info = storage().Stat(key);
    ASSERT_TRUE(info.has_value()) << key;
    EXPECT_EQ(info->key, key);
    EXPECT_EQ(info->size, ("content of " + key).size());
  }
  EXPECT_EQ(ListKeys(storage(), ""), Sorted(keys));
  EXPECT_EQ(ListKeys(storage(), "unicode/żółw"), std::vector<std::string>{"unicode/żółw-🐢-ü"});
  EXPECT_EQ(ListKeys(storage(), "with space/", false),
            std::vector<std::string>{"with space/a b.txt"});
  EXPECT_EQ(GetString(storage(), "plus+sign", {5, 4}), "nt o");

  storage().Delete(keys);
  EXPECT_TRUE(ListKeys(storage(), "").empty());
}

}  // namespace walnut::testing
