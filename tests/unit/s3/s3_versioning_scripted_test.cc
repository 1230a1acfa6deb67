// Versioned buckets against a scripted loopback server: the bucket is asked once whether it keeps
// versions, and a delete then names every version (delete markers too) so the space is freed.

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/folder.h"
#include "storage/s3/s3_storage.h"
#include "storage/versions.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"
#include "unit/s3/scripted_s3.h"

namespace walnut::s3 {
namespace {

using walnut::testing::ExpectError;

constexpr char kEnabled[] =
    "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";

std::string Version(const std::string& key, const std::string& id, bool latest) {
  return "<Version><Key>" + key + "</Key><VersionId>" + id + "</VersionId><IsLatest>" +
         (latest ? "true" : "false") +
         "</IsLatest><LastModified>2026-01-02T03:04:05.000Z</LastModified><Size>3</Size>"
         "</Version>";
}
std::string Marker(const std::string& key, const std::string& id) {
  return "<DeleteMarker><Key>" + key + "</Key><VersionId>" + id +
         "</VersionId><IsLatest>true</IsLatest>"
         "<LastModified>2026-01-02T03:04:06.000Z</LastModified></DeleteMarker>";
}
std::string Page(const std::string& entries, const std::string& next_key = "",
                 const std::string& next_version = "") {
  std::string truncated = next_key.empty() ? "false" : "true";
  return "<ListVersionsResult><IsTruncated>" + truncated + "</IsTruncated><NextKeyMarker>" +
         next_key + "</NextKeyMarker><NextVersionIdMarker>" + next_version +
         "</NextVersionIdMarker>" + entries + "</ListVersionsResult>";
}

TEST(S3VersioningTest, DeleteOnAVersionedBucketNamesEveryVersionAndAsksTheBucketOnce) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, kEnabled});
  // Two keys, one listing each; "a" has an older version and a delete marker.
  server.Enqueue({200, {}, Page(Marker("root/a", "m1") + Version("root/a", "v2", false))});
  server.Enqueue({200, {}, Page(Version("root/b", "v9", true) + Version("root/bb", "x", true))});
  server.Enqueue({200, {}, "<DeleteResult/>"});
  // The second delete: no new GetBucketVersioning.
  server.Enqueue({200, {}, Page(Version("root/c", "v1", true))});
  server.Enqueue({200, {}, "<DeleteResult/>"});
  S3Options options = OptionsFor(server);
  options.versioning = S3Options::Versioning::kDetect;
  S3Storage storage(options);
  storage.Delete(std::vector<std::string>{"a", "b"});
  storage.Delete(std::vector<std::string>{"c"});
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(requests[0].target, "/bucket?versioning=");
  EXPECT_EQ(requests[1].target, "/bucket?max-keys=1000&prefix=root%2Fa&versions=");
  EXPECT_EQ(requests[3].body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>"
            "<Object><Key>root/a</Key><VersionId>m1</VersionId></Object>"
            "<Object><Key>root/a</Key><VersionId>v2</VersionId></Object>"
            "<Object><Key>root/b</Key><VersionId>v9</VersionId></Object></Delete>")
      << "root/bb only shares the prefix and must stay";
  EXPECT_EQ(requests[4].target, "/bucket?max-keys=1000&prefix=root%2Fc&versions=");
}

TEST(S3VersioningTest, ManyKeysAreListedThroughTheirCommonPrefixAcrossPages) {
  ScriptedHttpServer server;
  std::vector<std::string> keys;
  std::string first_page, second_page;
  for (int i = 0; i < 20; ++i) {
    keys.push_back(fmt::format("wal_005/seg{:02}", i));
    std::string entry = Version("root/" + keys.back(), fmt::format("v{}", i), true);
    (i < 10 ? first_page : second_page) += entry;
  }
  second_page += Version("root/wal_005/seg99", "later", true);  // past the last key: not listed
  server.Enqueue({200, {}, Page(first_page, "root/wal_005/seg09", "v9")});
  server.Enqueue({200, {}, Page(second_page)});
  server.Enqueue({200, {}, "<DeleteResult/>"});
  S3Options options = OptionsFor(server);
  options.versioning = S3Options::Versioning::kEnabled;  // forced: no question asked
  S3Storage storage(options);
  storage.Delete(keys);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/bucket?max-keys=1000&prefix=root%2Fwal_005%2Fseg&versions=");
  EXPECT_EQ(requests[1].target,
            "/bucket?key-marker=root%2Fwal_005%2Fseg09&max-keys=1000&prefix=root%2Fwal_005%2Fseg"
            "&version-id-marker=v9&versions=");
  EXPECT_NE(requests[2].body.find("<Key>root/wal_005/seg19</Key><VersionId>v19</VersionId>"),
            std::string::npos);
  EXPECT_EQ(requests[2].body.find("seg99"), std::string::npos);
}

TEST(S3VersioningTest, EachBatchIsListedFromTheLastKeyOfTheBatchBefore) {
  // seg00..seg13 in hex: the second batch (seg0a..seg13) has only "seg" in common, which the first
  // batch's keys share; its listing must not start there again.
  std::vector<std::string> keys;
  std::string first_page, second_page;
  for (int i = 0; i < 20; ++i) {
    std::string key = fmt::format("wal_005/seg{:02x}", i);
    keys.push_back(key);
    (i < 10 ? first_page : second_page) += Version("root/" + key, fmt::format("v{}", i), true);
  }
  std::reverse(keys.begin(), keys.end());  // batches are formed in key order, whatever is given
  ScriptedHttpServer server;
  server.Enqueue({200, {}, Page(first_page)});
  server.Enqueue({200, {}, "<DeleteResult/>"});
  server.Enqueue({200, {}, Page(second_page)});
  server.Enqueue({200, {}, "<DeleteResult/>"});
  S3Options options = OptionsFor(server);
  options.versioning = S3Options::Versioning::kEnabled;
  options.delete_batch_size = 10;
  S3Storage storage(options);
  storage.Delete(keys);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].target, "/bucket?max-keys=1000&prefix=root%2Fwal_005%2Fseg0&versions=");
  EXPECT_NE(requests[1].body.find("<Key>root/wal_005/seg00</Key>"), std::string::npos);
  EXPECT_NE(requests[1].body.find("<Key>root/wal_005/seg09</Key>"), std::string::npos);
  EXPECT_EQ(requests[2].target,
            "/bucket?key-marker=root%2Fwal_005%2Fseg09&max-keys=1000&prefix=root%2Fwal_005%2Fseg"
            "&versions=");
  EXPECT_NE(requests[3].body.find("<Key>root/wal_005/seg0a</Key>"), std::string::npos);
  EXPECT_NE(requests[3].body.find("<Key>root/wal_005/seg13</Key>"), std::string::npos);
}

TEST(S3VersioningTest, AnUnversionedOrUnknowingServerGetsPlainKeys) {
  for (const ScriptedResponse& answer :
       {ScriptedResponse{200, {}, "<VersioningConfiguration/>"},
        ScriptedResponse{501, {}, S3ErrorXml("NotImplemented", "no")},
        ScriptedResponse{200, {}, "<ListBucketResult/>"}}) {
    ScriptedHttpServer server;
    server.Enqueue(answer);
    server.Enqueue({200, {}, "<DeleteResult/>"});
    S3Options options = OptionsFor(server);
    options.versioning = S3Options::Versioning::kDetect;
    S3Storage storage(options);
    storage.Delete(std::vector<std::string>{"a"});
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u) << answer.body;
    EXPECT_NE(requests[1].body.find("<Object><Key>root/a</Key></Object>"), std::string::npos)
        << requests[1].body;
  }
}

TEST(S3VersioningTest, VersionToolsListAndDeleteByVersionId) {
  ScriptedHttpServer server;
  server.Enqueue({200, {}, Page(Version("root/k", "v1", true) + Marker("root/k2", "m"))});
  server.Enqueue({200, {}, Page(Version("root/k", "v1", true))});  // DeleteOneVersion's check
  server.Enqueue({200, {}, "<DeleteResult/>"});
  server.Enqueue({200, {}, Page(Version("root/k", "v1", true))});  // an unknown id
  S3Storage storage(OptionsFor(server));
  Folder root(storage, "");
  std::vector<ObjectVersion> listed;
  root.ListVersions("k", [&](const ObjectVersion& v) { listed.push_back(v); });
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "k");
  EXPECT_EQ(listed[0].size, 3u);
  EXPECT_TRUE(listed[1].is_delete_marker);
  DeleteOneVersion(root, "k", "v1");
  EXPECT_NE(server.requests().at(2).body.find("<Key>root/k</Key><VersionId>v1</VersionId>"),
            std::string::npos);
  Error e = ExpectError([&] { DeleteOneVersion(root, "k", "nope"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(server.request_count(), 4u) << "an unknown version id must not be sent to delete";
}

TEST(S3VersioningTest, AServerThatListsNoVersionsSaysSoOnce) {
  ScriptedHttpServer server;
  server.Enqueue({405, {}, "<Error><Code>MethodNotAllowed</Code></Error>"});
  S3Storage storage(OptionsFor(server));
  Folder root(storage, "");
  Error e = ExpectError([&] { root.ListVersions("k", [](const ObjectVersion&) {}); });
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find("does not list object versions (ListObjectVersions: HTTP 405)"),
            std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("without --all-versions"), std::string::npos) << e.what();
  EXPECT_EQ(server.request_count(), 1u) << "a 405 is an answer, not a reason to retry";
}

}  // namespace
}  // namespace walnut::s3
