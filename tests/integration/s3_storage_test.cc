// The S3 backend against a real s3rver (started by the ctest fixture; see tests/tools).
// WALNUT_IT_S3_ENDPOINT and WALNUT_IT_S3_BUCKET must be set: a missing server fails, never skips.
// (s3rver ignores If-Match, so the replaced-object check is covered by the scripted server tests.)

#include "storage/s3/s3_storage.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "support/rgw_bucket.h"
#include "support/storage_conformance.h"
#include "support/test_util.h"

namespace walnut::s3 {
namespace {

using walnut::testing::ExpectError;
using walnut::testing::RandomBytes;
using walnut::testing::ReadAll;

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is not set: run the integration tests through ctest, which starts "
                            "s3rver (tests/tools/test-servers.sh)",
                            name));
  }
  return value;
}

// A root no other run or test shares, so runs do not see each other's objects.
std::string UniqueRoot(std::string_view what) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return fmt::format("it-{}/{}-{}-{}", what, getpid(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(now).count(), counter++);
}

S3Options ItOptions(std::string_view what) {
  S3Options o;
  o.endpoint = RequiredEnv("WALNUT_IT_S3_ENDPOINT");
  o.bucket = RequiredEnv("WALNUT_IT_S3_BUCKET");
  o.root = UniqueRoot(what);
  o.region = "us-east-1";
  o.force_path_style = true;
  o.access_key_id = "S3RVER";
  o.secret_access_key = SecretString("S3RVER");
  o.retry.base_delay = std::chrono::milliseconds(20);
  return o;
}

WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(
    S3, walnut::testing::StorageFactory{
            "s3rver", [] { return std::make_unique<S3Storage>(ItOptions("conformance")); }});

// The same contract on Ceph RGW, which checks signatures (aws-chunked included) and multipart as
// AWS does; each test gets a bucket of its own. Skips without RGW (WALNUT_IT_RGW_*).
WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(
    Rgw, walnut::testing::StorageFactory{
             "rgw",
             []() -> std::unique_ptr<Storage> {
               auto server = walnut::testing::RgwFromEnv();
               if (!server) return nullptr;
               return std::make_unique<walnut::testing::RgwBucketStorage>(
                   walnut::testing::RgwBucket(*server, "conformance"), "root");
             },
             walnut::testing::kRgwSkipMessage});

// Deterministic bytes generated on the fly, so a 200 MiB test never holds the object in memory.
class ByteStream {
 public:
  explicit ByteStream(uint64_t seed) : rng_(seed) {}
  void Fill(std::string& buf, size_t n) {
    buf.resize(n);
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = rng_();
      std::memcpy(buf.data() + i, &v, std::min<size_t>(8, n - i));
    }
  }

 private:
  std::mt19937_64 rng_;
};

std::vector<std::string> ListAll(Storage& storage, std::string_view prefix, bool recursive) {
  std::vector<std::string> keys;
  storage.List(prefix, ListOptions{recursive},
               [&](const ObjectInfo& info) { keys.push_back(info.key); });
  return keys;
}

TEST(S3StorageIt, TwoHundredMiBRoundTripThroughConcurrentMultipart) {
  constexpr size_t kSize = 200u << 20;
  constexpr size_t kPiece = 1u << 20;
  S3Storage storage(ItOptions("big"));
  std::string piece;

  ByteStream in(42);
  auto start = std::chrono::steady_clock::now();
  auto writer = storage.Put("big/object");
  for (size_t done = 0; done < kSize; done += kPiece) {
    in.Fill(piece, kPiece);
    writer->Write(AsBytes(piece));
  }
  writer->Close();
  double put_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // 200 MiB in 20 MiB parts.
  EXPECT_EQ(storage.stats().multipart_uploads.load(), 1u);
  EXPECT_EQ(storage.stats().parts_uploaded.load(), 10u);
  EXPECT_EQ(storage.stats().single_puts.load(), 0u);
  ASSERT_EQ(storage.Stat("big/object")->size, kSize);

  ByteStream expected(42);
  std::string got(kPiece, '\0');
  std::string want;
  start = std::chrono::steady_clock::now();
  auto reader = storage.Get("big/object");
  size_t total = 0;
  while (true) {
    size_t n = ReadFull(*reader, AsWritableBytes(got));
    if (n == 0) break;
    expected.Fill(want, n);
    ASSERT_EQ(std::memcmp(got.data(), want.data(), n), 0) << "at offset " << total;
    total += n;
  }
  double get_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(total, kSize);
  // 8 MiB ranged GETs.
  EXPECT_EQ(storage.stats().ranged_gets.load(), 25u);
  std::cout << fmt::format(
      "s3rver 200 MiB: PUT {:.1f} MiB/s ({:.2f} s), GET {:.1f} MiB/s ({:.2f} s)\n", 200 / put_s,
      put_s, 200 / get_s, get_s);
  storage.Delete(std::vector<std::string>{"big/object"});
}

TEST(S3StorageIt, SmallObjectsAndSizeHintsUseOnePut) {
  S3Storage storage(ItOptions("single"));
  const std::string data = RandomBytes(6u << 20, 3);
  auto writer = storage.Put("a", PutOptions{data.size(), {}});
  writer->Write(AsBytes(data));
  writer->Close();
  EXPECT_EQ(storage.stats().single_puts.load(), 1u);
  EXPECT_EQ(storage.stats().multipart_uploads.load(), 0u);
  EXPECT_EQ(ReadAll(*storage.Get("a")), data);
}

TEST(S3StorageIt, ListsAndDeletes2500KeysInPagesAndBatches) {
  S3Options options = ItOptions("many");
  options.list_max_keys = 100;
  S3Storage storage(options);
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) keys.push_back(fmt::format("k/{:02d}/key-{:05d}", i % 25, i));
  std::sort(keys.begin(), keys.end());
  {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        try {
          for (size_t i = t; i < keys.size(); i += 8) {
            auto w = storage.Put(keys[i]);
            w->Write(AsBytes(keys[i]));
            w->Close();
          }
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0);
  }

  EXPECT_EQ(ListAll(storage, "", true), keys);
  EXPECT_EQ(storage.stats().list_pages.load(), 25u);
  auto prefixes = ListAll(storage, "k/", false);
  ASSERT_EQ(prefixes.size(), 25u);
  EXPECT_EQ(prefixes.front(), "k/00/");
  EXPECT_EQ(ListAll(storage, "k/07/", false).size(), 100u);

  storage.Delete(keys);
  EXPECT_EQ(storage.stats().delete_batches.load(), 3u);
  EXPECT_TRUE(ListAll(storage, "", true).empty());
}

TEST(S3StorageIt, AbortedMultipartUploadLeavesNothingVisible) {
  S3Options options = ItOptions("abort");
  options.max_part_size = 5u << 20;
  S3Storage storage(options);
  const std::string data = RandomBytes(12u << 20, 5);
  {
    auto writer = storage.Put("aborted");
    writer->Write(AsBytes(data));
    EXPECT_EQ(storage.stats().multipart_uploads.load(), 1u);
    writer->Abort();
  }
  {
    auto writer = storage.Put("dropped");
    writer->Write(AsBytes(data));
    // Destroyed without Close().
  }
  EXPECT_EQ(storage.stats().multipart_uploads.load(), 2u);
  EXPECT_FALSE(storage.Stat("aborted").has_value());
  EXPECT_FALSE(storage.Stat("dropped").has_value());
  EXPECT_TRUE(ListAll(storage, "", true).empty());
}

TEST(S3StorageIt, MissingObjectErrorNamesTheObject) {
  S3Options options = ItOptions("missing");
  S3Storage storage(options);
  Error e = ExpectError([&] { storage.Get("nope/x"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(e.what()),
            fmt::format("object s3://{}/{}/nope/x not found", options.bucket, options.root));
}

TEST(S3StorageIt, UnknownAccessKeyIsPermissionDeniedWithoutRetries) {
  S3Options options = ItOptions("denied");
  options.access_key_id = "NOPE";
  S3Storage storage(options);
  Error e = ExpectError([&] { storage.Stat("x"); });
  // HEAD has no body; a List shows S3's code.
  e = ExpectError([&] { ListAll(storage, "", true); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied) << e.what();
  EXPECT_FALSE(e.retryable());
  std::string message = e.what();
  EXPECT_NE(message.find("HTTP 403"), std::string::npos) << message;
  EXPECT_NE(message.find("InvalidAccessKeyId"), std::string::npos) << message;
  EXPECT_NE(message.find(options.bucket), std::string::npos) << message;
  EXPECT_EQ(message.find("S3RVER"), std::string::npos) << "secret in message: " << message;
  EXPECT_EQ(storage.stats().requests.load(), 2u);
}

TEST(S3StorageIt, MissingBucketIsNotFound) {
  S3Options options = ItOptions("nobucket");
  options.bucket = "walnut-no-such-bucket";
  S3Storage storage(options);
  Error e = ExpectError([&] { ListAll(storage, "", true); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound) << e.what();
  EXPECT_NE(std::string(e.what()).find("NoSuchBucket"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace walnut::s3
