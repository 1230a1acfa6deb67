// The GCS backend against the scripted GCS server (tests/tools/gcs-server.py, started by the test
// process: support/gcs_server.h), which implements the JSON API calls Walnut makes and rejects
// malformed ones: the storage conformance suite (with one-page and three-entry-page listings),
// resumable uploads and their resumption, the three ways to get a token, customer-supplied keys,
// and each way of failing ending in one line, in time. Not run against real GCS.

#include "storage/gcs/gcs_storage.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/gcs_server.h"
#include "support/storage_conformance.h"
#include "support/test_util.h"
#include "support/timed.h"

namespace walnut::gcs {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using walnut::testing::ExpectError;
using walnut::testing::ExpectOneLine;
using walnut::testing::GcsServer;
using walnut::testing::GcsTestOptions;
using walnut::testing::RandomBytes;
using walnut::testing::ReadAll;
using walnut::testing::SharedGcsServer;
using walnut::testing::TimedError;

// A storage that keeps its own server alive (the paged one of the conformance suite).
class OwnedGcsStorage : public GcsStorage {
 public:
  OwnedGcsStorage(std::shared_ptr<GcsServer> server, GcsOptions options)
      : GcsStorage(std::move(options)), server_(std::move(server)) {}

 private:
  std::shared_ptr<GcsServer> server_;
};

std::unique_ptr<Storage> MakeConformanceStorage() {
  return std::make_unique<GcsStorage>(GcsTestOptions(SharedGcsServer(), "conformance"));
}

std::unique_ptr<Storage> MakePagedConformanceStorage() {
  static std::shared_ptr<GcsServer> paged =
      std::make_shared<GcsServer>(GcsServer::Options{.page_size = 3});
  return std::make_unique<OwnedGcsStorage>(paged, GcsTestOptions(*paged, "paged"));
}

WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Gcs, walnut::testing::StorageFactory{
                                                "scripted", MakeConformanceStorage});
WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(GcsPaged,
                                       walnut::testing::StorageFactory{
                                           "scripted_pages_of_3", MakePagedConformanceStorage});

void PutString(Storage& storage, std::string_view key, const std::string& data,
               std::map<std::string, std::string> metadata = {},
               std::shared_ptr<LateMetadata> late = nullptr) {
  auto writer = storage.Put(key, PutOptions{data.size(), std::move(metadata), std::move(late)});
  // In pieces that do not line up with the chunks.
  for (size_t at = 0; at < data.size(); at += 100003) {
    writer->Write(AsBytes(std::string_view(data).substr(at, 100003)));
  }
  writer->Close();
}

int64_t Count(const GcsServer& server, const char* name) {
  nlohmann::json counts = server.Stats()["counts"];
  return counts.contains(name) ? counts[name].get<int64_t>() : 0;
}

class GcsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Whatever a test did, Walnut never sent the server a malformed request.
    EXPECT_THAT(server_.Rejections(), IsEmpty());
  }
  GcsOptions Options(std::string_view what) { return GcsTestOptions(server_, what); }

  GcsServer server_;
};

TEST_F(GcsTest, ObjectsAreNamedRootPlusKeyWithTheirMetadata) {
  GcsOptions options = Options("layout");
  std::string root = options.root;
  GcsStorage storage(options);
  PutString(storage, "wal_005/000000010000000000000001.lz4", "segment",
            {{"walnut-sha256", std::string(64, 'a')}});
  nlohmann::json object =
      server_.Object("walnut-it", root + "wal_005/000000010000000000000001.lz4");
  ASSERT_FALSE(object.is_null());
  EXPECT_EQ(object["size"], 7);
  EXPECT_EQ(object["metadata"]["walnut-sha256"], std::string(64, 'a'));
  EXPECT_EQ(storage.Describe(), "gs://walnut-it/" + root.substr(0, root.size() - 1));
  EXPECT_EQ(storage.stats().simple_uploads, 1u);
}

TEST_F(GcsTest, ALargeObjectGoesInAlignedChunksAndTheLastCarriesTheTotal) {
  GcsStorage storage(Options("resumable"));
  std::string data = RandomBytes((1u << 20) + 1000, 7);  // four full chunks of 256 KiB + 1000 B
  auto late = std::make_shared<LateMetadata>();
  late->values["walnut-sha256"] = std::string(64, 'c');
  PutString(storage, "big", data, {{"walnut-compression", "lz4"}}, late);
  EXPECT_EQ(storage.stats().resumable_uploads, 1u);
  EXPECT_EQ(storage.stats().chunks_sent, 5u);
  // The session took the metadata when it opened; the late one came by objects.patch.
  EXPECT_TRUE(late->kept);
  auto info = storage.Stat("big");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->metadata,
            (std::map<std::string, std::string>{{"walnut-compression", "lz4"},
                                                {"walnut-sha256", std::string(64, 'c')}}));
  EXPECT_EQ(Count(server_, "patch"), 1);
  EXPECT_TRUE(ReadAll(*storage.Get("big")) == data);
  // Exactly a multiple of the chunk: the last chunk is sent as "bytes */<total>" with no body.
  std::string exact = RandomBytes(2u << 18, 8);
  PutString(storage, "exact", exact);
  EXPECT_TRUE(ReadAll(*storage.Get("exact")) == exact);
  EXPECT_EQ(server_.Stats()["sessions"], 0);
}

// The SHA-256 of a resumable upload follows its last chunk by a separate objects.patch. When that
// never arrives (it fails here; a process killed in between leaves the same object), the object
// is there whole with its other metadata and without the digest: the owner is told (kept stays
// false), and readers find no SHA-256 to check rather than a wrong one.
TEST_F(GcsTest, AFailedPatchLeavesTheObjectWholeWithoutItsDigest) {
  GcsOptions options = Options("patch-fails");
  options.max_attempts = 1;
  GcsStorage storage(options);
  server_.Fault({{"match", "patch"}, {"status", 503}, {"count", 1000}});
  std::string data = RandomBytes((1u << 20) + 1000, 17);
  auto late = std::make_shared<LateMetadata>();
  late->values["walnut-stored-sha256"] = std::string(64, 'd');
  PutString(storage, "big", data, {{"walnut-encryption", "none"}}, late);
  server_.ClearFaults();
  EXPECT_EQ(storage.stats().resumable_uploads, 1u);
  EXPECT_EQ(Count(server_, "fault_patch"), 1);
  EXPECT_FALSE(late->kept);
  auto info = storage.Stat("big");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->metadata, (std::map<std::string, std::string>{{"walnut-encryption", "none"}}));
  auto reader = storage.Get("big");
  EXPECT_EQ(reader->metadata(), info->metadata);
  EXPECT_TRUE(ReadAll(*reader) == data);
  EXPECT_EQ(server_.Stats()["sessions"], 0);
}

TEST_F(GcsTest, AChunkThatBreaksHalfwayIsResumedFromWhereTheServerSaysItIs) {
  GcsOptions options = Options("resume");
  options.chunk_size = 1u << 20;
  GcsStorage storage(options);
  // The second chunk: the server keeps 512 KiB of it, then fails with 503.
  server_.Fault({{"match", "chunk"}, {"status", 503}, {"keep_bytes", 512 << 10}, {"count", 1}});
  // A chunk whose request fails outright, twice.
  std::string data = RandomBytes(3u << 20, 9);
  PutOptions put;
  put.size_hint = data.size();
  auto writer = storage.Put("obj", put);
  writer->Write(AsBytes(std::string_view(data).substr(0, (1u << 20) + 1)));
  server_.Fault({{"match", "chunk"}, {"status", 500}, {"count", 2}});
  writer->Write(AsBytes(std::string_view(data).substr((1u << 20) + 1)));
  writer->Close();
  EXPECT_TRUE(ReadAll(*storage.Get("obj")) == data);
  EXPECT_GE(storage.stats().upload_resumes, 1u);
  EXPECT_EQ(Count(server_, "fault_chunk"), 3);
  EXPECT_GE(Count(server_, "status"), 1);  // it asked the session what it had
}

TEST_F(GcsTest, ThrottlingAndServerErrorsAreRetriedEverywhere) {
  GcsStorage storage(Options("throttled"));
  std::string data = RandomBytes(300000, 10);
  server_.Fault({{"match", "insert"}, {"status", 429}, {"count", 2}});
  PutString(storage, "a", data);
  server_.Fault({{"match", "get"}, {"status", 503}, {"count", 1}});
  server_.Fault({{"match", "media"}, {"status", 429}, {"count", 2}});
  EXPECT_TRUE(ReadAll(*storage.Get("a")) == data);
  server_.Fault({{"match", "list"}, {"status", 502}, {"count", 1}});
  std::vector<std::string> keys;
  storage.List("", ListOptions{}, [&](const ObjectInfo& info) { keys.push_back(info.key); });
  EXPECT_EQ(keys, std::vector<std::string>{"a"});
  server_.Fault({{"match", "delete"}, {"status", 503}, {"count", 1}});
  storage.Delete(std::vector<std::string>{"a"});
  EXPECT_FALSE(storage.Stat("a"));
}

TEST_F(GcsTest, AnAbortedUploadLeavesNoObjectAndCancelsItsSession) {
  GcsStorage storage(Options("abort"));
  {
    auto writer = storage.Put("obj");
    writer->Write(AsBytes(RandomBytes(600000, 11)));
    EXPECT_EQ(server_.Stats()["sessions"], 1);
    writer->Abort();
  }
  EXPECT_EQ(server_.Stats()["sessions"], 0);
  EXPECT_FALSE(storage.Stat("obj"));
  EXPECT_EQ(Count(server_, "cancel"), 1);
}

TEST_F(GcsTest, AnExpiredTokenIsRenewedAndTheRequestSentAgain) {
  GcsStorage storage(Options("expired"));
  PutString(storage, "a", "x");
  EXPECT_EQ(Count(server_, "tokens_issued"), 1);
  server_.ExpireTokens();
  EXPECT_TRUE(storage.Stat("a"));
  EXPECT_EQ(Count(server_, "tokens_issued"), 2);
}

TEST(GcsTokenTest, AShortLivedTokenIsRenewedBeforeItExpires) {
  GcsServer server(GcsServer::Options{.token_lifetime = 2});
  GcsStorage storage(GcsTestOptions(server, "short-token"));
  PutString(storage, "a", "x");
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));  // past 3/4 of its life
  EXPECT_TRUE(storage.Stat("a"));
  EXPECT_EQ(Count(server, "tokens_issued"), 2);
  EXPECT_EQ(Count(server, "bad_signatures"), 0);
}

TEST_F(GcsTest, AnAuthorizedUserFileAndTheMetadataServerGiveTokensToo) {
  GcsOptions user = Options("authorized-user");
  user.credentials_file = server_.authorized_user_file();
  GcsStorage by_user(user);
  PutString(by_user, "a", "from a user");
  EXPECT_EQ(ReadAll(*by_user.Get("a")), "from a user");

  GcsOptions metadata = Options("metadata");
  metadata.credentials_file = "";
  metadata.metadata_endpoint = server_.endpoint();
  GcsStorage by_metadata(metadata);
  PutString(by_metadata, "b", "from the instance");
  EXPECT_EQ(ReadAll(*by_metadata.Get("b")), "from the instance");
  EXPECT_EQ(Count(server_, "tokens_issued"), 2);
}

TEST_F(GcsTest, AKeyTheServerDoesNotKnowFailsInOneLineNamingTheFile) {
  GcsOptions options = Options("wrong-key");
  options.credentials_file = server_.wrong_credentials_file();
  GcsStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("a"); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(e.what(), HasSubstr(server_.wrong_credentials_file()));
  EXPECT_THAT(e.what(), HasSubstr("Invalid JWT Signature"));
  EXPECT_THAT(e.what(), Not(HasSubstr("PRIVATE KEY")));
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(Count(server_, "bad_signatures"), 1);
}

TEST_F(GcsTest, NoCredentialsAndNoMetadataServerFailsInOneLine) {
  GcsOptions options = Options("no-credentials");
  options.credentials_file = "";
  options.metadata_endpoint = "http://127.0.0.1:1";
  GcsStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("a"); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(e.what(), HasSubstr("GOOGLE_APPLICATION_CREDENTIALS"));
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(GcsTest, AMissingBucketIsNamed) {
  GcsOptions options = Options("no-bucket");
  options.bucket = "no-such-bucket";
  GcsStorage storage(options);
  Error e = ExpectError([&] { storage.Stat("a"); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(e.what(), HasSubstr("bucket no-such-bucket does not exist"));
  EXPECT_THAT(e.what(), HasSubstr("WALG_GS_PREFIX"));
  ExpectOneLine(e);
  Error list = ExpectError([&] { storage.List("", ListOptions{}, [](const ObjectInfo&) {}); });
  EXPECT_EQ(list.code(), ErrorCode::kFailedPrecondition);
}

TEST_F(GcsTest, AnUnreachableServerFailsInOneLineWithinTheBudget) {
  GcsOptions options = Options("unreachable");
  options.endpoint = "http://127.0.0.1:1";
  options.retry_budget = std::chrono::seconds(30);
  GcsStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("a"); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:1"));
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(GcsTest, AServerThatHangsFailsInOneLineWithinTheBudget) {
  GcsOptions options = Options("hang");
  options.retry_budget = std::chrono::seconds(4);
  GcsStorage storage(options);
  PutString(storage, "a", "x");
  server_.Fault({{"match", "get"}, {"hang", 60}, {"count", 100}});
  auto [e, took] = TimedError([&] { storage.Stat("a"); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  ExpectOneLine(e);
  // The account of what was tried, and the settings that bound it.
  EXPECT_THAT(e.what(), HasSubstr("; gave up after "));
  EXPECT_THAT(e.what(), HasSubstr("(GCS_MAX_RETRIES=16, WALNUT_STORAGE_RETRY_TIMEOUT=4s): check "
                                  "the endpoint " +
                                  options.endpoint));
  EXPECT_FALSE(e.retryable());
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(GcsTest, TheContextTimeoutBoundsAWholeOperation) {
  GcsOptions options = Options("context-timeout");
  options.operation_timeout = std::chrono::seconds(1);
  options.retry_budget = std::chrono::seconds(20);
  GcsStorage storage(options);
  server_.Fault({{"match", "list"}, {"status", 503}, {"count", 1000}});
  auto [e, took] = TimedError([&] { storage.List("", ListOptions{}, [](const ObjectInfo&) {}); });
  EXPECT_THAT(e.what(), HasSubstr("GCS_CONTEXT_TIMEOUT"));
  EXPECT_LT(took, std::chrono::seconds(8));
}

TEST(GcsCsekTest, ACustomerSuppliedKeyGoesWithEveryObjectRequest) {
  GcsServer server_;
  GcsOptions options = GcsTestOptions(server_, "csek");
  std::string root = options.root;
  options.encryption_key = SecretString(std::string(32, '\x42'));
  GcsStorage storage(options);
  std::string big = RandomBytes(700000, 12);
  PutString(storage, "small", "secret data");
  PutString(storage, "big", big);
  EXPECT_EQ(ReadAll(*storage.Get("small")), "secret data");
  EXPECT_TRUE(ReadAll(*storage.Get("big")) == big);
  EXPECT_FALSE(server_.Object("walnut-it", root + "big")["csek"].is_null());
  EXPECT_FALSE(server_.Object("walnut-it", root + "small")["csek"].is_null());
  storage.Delete(std::vector<std::string>{"small"});
  EXPECT_FALSE(storage.Stat("small"));

  // Without the key the server refuses the bytes: one line naming the object.
  options.encryption_key = SecretString();
  GcsStorage keyless(options);
  Error e = ExpectError([&] { ReadAll(*keyless.Get("big")); });
  EXPECT_THAT(e.what(), HasSubstr("customer-supplied encryption key"));
  EXPECT_THAT(e.what(), HasSubstr(root + "big"));
  ExpectOneLine(e);
  // That request alone was refused (by design); every other one was well formed.
  EXPECT_EQ(server_.Rejections().size(), 1u);
}

}  // namespace
}  // namespace walnut::gcs
