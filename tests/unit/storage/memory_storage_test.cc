#include "storage/memory/memory_storage.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/faulty_storage.h"
#include "support/storage_conformance.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::FaultyStorage;
using testing::StorageFactory;

std::unique_ptr<Storage> MakeMemoryStorage() { return std::make_unique<MemoryStorage>(); }

std::unique_ptr<Storage> MakeFaultlessStorage() {
  return std::make_unique<FaultyStorage>(std::make_unique<MemoryStorage>());
}

WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Memory, StorageFactory{"memory", MakeMemoryStorage});
// A wrapper without faults must be invisible: the whole contract still holds through it.
WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Faultless,
                                       StorageFactory{"faulty_memory", MakeFaultlessStorage});

TEST(MemoryStorageTest, AReaderKeepsTheObjectItOpened) {
  MemoryStorage storage;
  storage.Commit("k", "old bytes");
  auto reader = storage.Get("k");
  storage.Commit("k", "new");
  storage.Delete(std::vector<std::string>{"k"});
  EXPECT_EQ(testing::ReadAll(*reader), "old bytes");
}

TEST(MemoryStorageTest, CountsObjects) {
  MemoryStorage storage("dry-run");
  EXPECT_EQ(storage.Describe(), "memory://dry-run");
  storage.Commit("a", "123");
  storage.Commit("b/c", "45");
  EXPECT_EQ(storage.ObjectCount(), 2u);
}

TEST(MemoryStorageTest, ListCallbackMayModifyTheStorage) {
  MemoryStorage storage;
  for (int i = 0; i < 2500; ++i) storage.Commit("k/" + std::to_string(10000 + i), "x");
  int seen = 0;
  storage.List("k/", ListOptions{}, [&](const ObjectInfo& info) {
    ++seen;
    storage.Delete(std::vector<std::string>{info.key});
  });
  EXPECT_EQ(seen, 2500);
  EXPECT_EQ(storage.ObjectCount(), 0u);
}

TEST(MemoryStorageTest, RejectsAnEmptyKey) {
  MemoryStorage storage;
  try {
    storage.Put("");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

TEST(MemoryStorageTest, WriteAfterCloseIsAnError) {
  MemoryStorage storage;
  auto writer = storage.Put("k");
  writer->Close();
  EXPECT_THROW(writer->Write(AsBytes("x")), Error);
}

}  // namespace
}  // namespace walnut
