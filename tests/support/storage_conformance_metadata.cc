// The conformance cases about user metadata, part of StorageConformanceTest: what readers that
// verify a recorded SHA-256 rely on.

#include <map>
#include <memory>
#include <string>

#include "support/storage_conformance.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

void PutString(Storage& storage, std::string_view key, const std::string& data) {
  auto writer = storage.Put(key, PutOptions{data.size(), {}});
  writer->Write(AsBytes(data));
  writer->Close();
}

std::string GetString(Storage& storage, std::string_view key) {
  auto reader = storage.Get(key);
  return ReadAll(*reader);
}

}  // namespace

void LinkMetadataConformanceTests() {}

TEST_P(StorageConformanceTest, StatReturnsTheMetadataPutWithTheObject) {
  const std::map<std::string, std::string> metadata = {{"walnut-sha256", std::string(64, 'a')},
                                                       {"other", "value-1"}};
  auto writer = storage().Put("meta/small", PutOptions{5, metadata});
  writer->Write(AsBytes(std::string("hello")));
  writer->Close();
  auto info = storage().Stat("meta/small");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata, metadata);
  EXPECT_EQ(GetString(storage(), "meta/small"), "hello");
}

TEST_P(StorageConformanceTest, MetadataOfAMultipartSizedObjectRoundTrips) {
  // Larger than S3's default 20 MiB part: the metadata goes with CreateMultipartUpload.
  const std::string data = RandomBytes(21_MiB, 77);
  const std::map<std::string, std::string> metadata = {{"walnut-sha256", std::string(64, 'b')}};
  auto writer = storage().Put("meta/large", PutOptions{std::nullopt, metadata});
  WriteInRandomChunks(*writer, data, 4_MiB, 13);
  auto info = storage().Stat("meta/large");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->metadata, metadata);
}

TEST_P(StorageConformanceTest, GetReturnsTheMetadataKeptWithTheObject) {
  // Readers verify with it: it must come with the bytes, no extra request needed.
  const std::map<std::string, std::string> metadata = {{"walnut-sha256", std::string(64, 'c')}};
  auto writer = storage().Put("meta/get", PutOptions{2, metadata});
  writer->Write(AsBytes(std::string("hi")));
  writer->Close();
  auto reader = storage().Get("meta/get");
  EXPECT_EQ(reader->metadata(), metadata);
  EXPECT_EQ(ReadAll(*reader), "hi");
  PutString(storage(), "meta/get-none", "");
  EXPECT_TRUE(storage().Get("meta/get-none")->metadata().empty());
  // An empty object has no byte to fetch; its metadata still comes.
  auto empty = storage().Put("meta/get-empty", PutOptions{0, metadata});
  empty->Close();
  EXPECT_EQ(storage().Get("meta/get-empty")->metadata(), metadata);
}

TEST_P(StorageConformanceTest, LateMetadataIsKeptWithAnObjectOfOnePiece) {
  auto late = std::make_shared<LateMetadata>();
  PutOptions options;
  options.metadata = {{"walnut-encryption", "none"}};
  options.late_metadata = late;
  auto writer = storage().Put("meta/late-small", options);
  writer->Write(AsBytes(std::string("12345")));
  late->values["walnut-sha256"] = std::string(64, 'd');  // known only now
  writer->Close();
  EXPECT_TRUE(late->kept);
  const std::map<std::string, std::string> expected = {{"walnut-encryption", "none"},
                                                       {"walnut-sha256", std::string(64, 'd')}};
  EXPECT_EQ(storage().Stat("meta/late-small")->metadata, expected);
  EXPECT_EQ(storage().Get("meta/late-small")->metadata(), expected);
}

TEST_P(StorageConformanceTest, LateMetadataOfALargeStreamIsKeptOrSaidToBeLost) {
  // S3 cannot add metadata after the first part; the writer must say so rather than pretend.
  const std::string data = RandomBytes(21_MiB, 78);
  auto late = std::make_shared<LateMetadata>();
  PutOptions options;
  options.late_metadata = late;
  auto writer = storage().Put("meta/late-large", options);
  late->values["walnut-stored-sha256"] = std::string(64, 'e');
  WriteInRandomChunks(*writer, data, 4_MiB, 14);
  auto info = storage().Stat("meta/late-large");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->metadata.count("walnut-stored-sha256") == 1, late->kept);
  if (storage().Supports(StorageFeature::kLateMetadata)) {
    EXPECT_TRUE(late->kept);
  }
}

TEST_P(StorageConformanceTest, AbsentMetadataIsEmpty) {
  PutString(storage(), "meta/none", "x");
  EXPECT_TRUE(storage().Stat("meta/none")->metadata.empty());
}

TEST_P(StorageConformanceTest, AnOverwriteWithoutMetadataDropsTheOldMetadata) {
  // A stale checksum must never describe new content (e.g. an object rewritten by WAL-G).
  auto writer = storage().Put("meta/replaced", PutOptions{1, {{"walnut-sha256", "old"}}});
  writer->Write(AsBytes(std::string("1")));
  writer->Close();
  PutString(storage(), "meta/replaced", "2");
  EXPECT_TRUE(storage().Stat("meta/replaced")->metadata.empty());
  EXPECT_EQ(GetString(storage(), "meta/replaced"), "2");
}

}  // namespace walnut::testing
