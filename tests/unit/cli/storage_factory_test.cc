#include "storage/factory/storage_factory.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/test_util.h"

namespace walnut {
namespace {

TEST(PartsInFlightTest, BoundedByConcurrencyAndByTheBufferBudget) {
  Settings s;
  s.s3.max_part_size = 8u << 20;
  s.upload_concurrency = 16;
  EXPECT_EQ(PartsInFlight(s), 3u);  // 3 in flight + 1 filling = 32 MiB
  s.upload_concurrency = 2;
  EXPECT_EQ(PartsInFlight(s), 2u);
  s.s3.max_part_size = 5u << 20;
  s.upload_concurrency = 16;
  EXPECT_EQ(PartsInFlight(s), 5u);
  s.s3.max_part_size = 100u << 20;  // bigger than the budget: still one part in flight
  EXPECT_EQ(PartsInFlight(s), 1u);
}

TEST(OpenStorageTest, OpensALocalDirectory) {
  testing::TempDir dir;
  Settings s;
  s.storage.type = StorageType::kFile;
  s.storage.root = dir.str() + "/store";
  auto storage = OpenStorage(s);
  EXPECT_EQ(storage->Describe(), "file://" + dir.str() + "/store");
}

TEST(OpenStorageTest, RefusesSettingsItCannotHonour) {
  Settings s;
  s.storage.type = StorageType::kS3;
  s.storage.bucket = "b";
  s.s3.use_list_objects_v1 = true;
  try {
    OpenStorage(s);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("WALG_S3_USE_LIST_OBJECTS_V1"), std::string::npos);
  }
}

}  // namespace
}  // namespace walnut
