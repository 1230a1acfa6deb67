// The Azure backend against azurite (the azurite fixture: tests/tools/azurite-server.sh), which
// checks SharedKey signatures and SAS tokens as Azure does: the storage conformance suite, block
// uploads and their memory bound, each way of failing ending in one line and in time, and faults
// between us and the server (resets, hangs, 503 ServerBusy). Managed identity runs against a
// scripted metadata server, since no real one can run here.

#include "storage/azure/azure_storage.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "net/url.h"
#include "support/azurite_server.h"
#include "support/fault_proxy.h"
#include "support/scripted_http_server.h"
#include "support/storage_conformance.h"
#include "support/test_util.h"

namespace walnut::azure {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using walnut::testing::Azurite;
using walnut::testing::AzureTestOptions;
using walnut::testing::ExpectError;
using walnut::testing::FaultProxy;
using walnut::testing::ProxyFault;
using walnut::testing::RandomBytes;
using walnut::testing::ReadAll;
using walnut::testing::RecordedRequest;
using walnut::testing::ScriptedHttpServer;
using walnut::testing::ScriptedResponse;

std::unique_ptr<Storage> MakeConformanceStorage() {
  AzureOptions o = AzureTestOptions("conformance");
  // Small buffers, chunks and pages, so that every test crosses block, chunk and page bounds.
  o.buffer_size = 256u << 10;
  o.max_buffers = 3;
  o.read_chunk_size = 64u << 10;
  o.list_max_results = 7;
  return std::make_unique<AzureStorage>(std::move(o));
}

WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Azure, walnut::testing::StorageFactory{
                                                  "azurite", MakeConformanceStorage});

void PutString(Storage& storage, std::string_view key, const std::string& data,
               std::map<std::string, std::string> metadata = {}) {
  auto writer = storage.Put(key, PutOptions{data.size(), std::move(metadata)});
  writer->Write(AsBytes(data));
  writer->Close();
}

void ExpectOneLineWithout(const Error& e, std::string_view secret) {
  std::string message = e.what();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_THAT(message, Not(HasSubstr(std::string(secret))));
}

std::pair<Error, std::chrono::milliseconds> TimedError(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError(fn);
  return {e, std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)};
}

// host and port of the fixture's endpoint, for a proxy in front of it.
std::pair<std::string, int> AzuriteHostPort() {
  net::Endpoint e = net::ParseEndpoint(Azurite().endpoint, "endpoint");
  return {e.host, e.port};
}

// The endpoint with the proxy's port instead of azurite's (the path keeps the account).
std::string ThroughProxy(const FaultProxy& proxy) {
  net::Endpoint e = net::ParseEndpoint(Azurite().endpoint, "endpoint");
  return proxy.endpoint() + e.base_path;
}

TEST(AzureStorageTest, BlocksAreCommittedWithTheMetadataAndMemoryStaysBounded) {
  AzureOptions o = AzureTestOptions("blocks");
  o.buffer_size = 1u << 20;
  o.max_buffers = 2;
  AzureStorage storage(o);
  const std::string data = RandomBytes((10u << 20) + 12345, 3);
  auto late = std::make_shared<LateMetadata>();
  auto writer = storage.Put("big", PutOptions{std::nullopt, {{"walnut-kind", "test"}}, late});
  for (size_t at = 0; at < data.size(); at += 100000) {
    writer->Write(AsBytes(std::string_view(data).substr(at, 100000)));
  }
  late->values["walnut-sha256"] = std::string(64, 'c');
  writer->Close();
  EXPECT_TRUE(late->kept);
  EXPECT_EQ(storage.stats().blocks_put.load(), 11u);
  EXPECT_EQ(storage.stats().block_lists.load(), 1u);
  EXPECT_EQ(storage.stats().single_puts.load(), 0u);
  auto info = storage.Stat("big");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->metadata.at("walnut-sha256"), std::string(64, 'c'));
  EXPECT_EQ(info->metadata.at("walnut-kind"), "test");
  EXPECT_EQ(ReadAll(*storage.Get("big")), data);
  // The bound the callers size their parallelism by: buffer size x max buffers.
  EXPECT_EQ(storage.PutBufferBytes(data.size()), 2u << 20);
  EXPECT_EQ(storage.PutBufferBytes(1000), 1000u);
}

TEST(AzureStorageTest, AnAbortedBlockUploadLeavesNothingVisible) {
  AzureOptions o = AzureTestOptions("abort");
  o.buffer_size = 64u << 10;
  AzureStorage storage(o);
  PutString(storage, "kept", "old");
  auto writer = storage.Put("kept");
  writer->Write(AsBytes(RandomBytes(300u << 10, 4)));  // four blocks sent
  writer->Abort();
  EXPECT_EQ(ReadAll(*storage.Get("kept")), "old");
  auto fresh = storage.Put("never");
  fresh->Write(AsBytes(RandomBytes(200u << 10, 5)));
  fresh.reset();  // destroyed without Close()
  EXPECT_FALSE(storage.Stat("never"));
}

TEST(AzureStorageTest, AWrongKeyIsOneLineNamingTheSetting) {
  AzureOptions o = AzureTestOptions("wrong-key");
  const std::string wrong = "d3Jvbmcga2V5IHdyb25nIGtleQ==";
  o.access_key = SecretString(wrong);
  AzureStorage storage(o);
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(e.what(), HasSubstr("HTTP 403"));
  EXPECT_THAT(e.what(), HasSubstr("check AZURE_STORAGE_ACCESS_KEY"));
  ExpectOneLineWithout(e, wrong);
  EXPECT_LT(took, std::chrono::seconds(5));
  Error put = ExpectError([&] { PutString(storage, "y", "data"); });
  EXPECT_THAT(put.what(), HasSubstr("HTTP 403"));
  ExpectOneLineWithout(put, wrong);
}

TEST(AzureStorageTest, ASasTokenWorksAndABadOneIsNamed) {
  AzureOptions o = AzureTestOptions("sas");
  o.auth = AzureAuth::kSas;
  o.access_key = SecretString();
  o.sas_token = SecretString(Azurite().sas);
  o.credential_source = "AZURE_STORAGE_SAS_TOKEN";
  AzureStorage storage(o);
  PutString(storage, "a/b", "through a SAS token", {{"walnut-sha256", "ab"}});
  EXPECT_EQ(ReadAll(*storage.Get("a/b")), "through a SAS token");
  EXPECT_EQ(storage.Stat("a/b")->metadata.at("walnut-sha256"), "ab");
  std::vector<std::string> keys;
  storage.List("", {}, [&](const ObjectInfo& info) { keys.push_back(info.key); });
  EXPECT_EQ(keys, std::vector<std::string>{"a/b"});
  storage.Delete(std::vector<std::string>{"a/b"});
  EXPECT_FALSE(storage.Stat("a/b"));

  std::string tampered = Azurite().sas;
  tampered.replace(tampered.find("sig=") + 4, 4, "AAAA");
  o.sas_token = SecretString(tampered);
  AzureStorage bad(o);
  Error e = ExpectError([&] { PutString(bad, "c", "x"); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(e.what(), HasSubstr("AZURE_STORAGE_SAS_TOKEN"));
  ExpectOneLineWithout(e, tampered);
}

TEST(AzureStorageTest, AMissingContainerIsAConfigurationError) {
  AzureOptions o = AzureTestOptions("nocontainer");
  o.container = "no-such-container";
  AzureStorage storage(o);
  for (const auto& fn : std::vector<std::function<void()>>{
           [&] { storage.Stat("x"); }, [&] { storage.Get("x"); },
           [&] { storage.List("", {}, [](const ObjectInfo&) {}); },
           [&] { PutString(storage, "x", "y"); },
           [&] { storage.Delete(std::vector<std::string>{"x"}); }}) {
    Error e = ExpectError(fn);
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("container 'no-such-container' does not exist"));
  }
}

TEST(AzureStorageTest, AnUnreachableHostFailsWithinTheBudget) {
  AzureOptions refused = AzureTestOptions("refused");
  refused.endpoint = "http://127.0.0.1:1/devstoreaccount1";
  AzureStorage a(refused);
  auto [e1, took1] = TimedError([&] { a.Stat("x"); });
  EXPECT_EQ(e1.code(), ErrorCode::kNetwork);
  EXPECT_THAT(e1.what(), HasSubstr("check the Azure endpoint http://127.0.0.1:1/devstoreaccount1"));
  EXPECT_LT(took1, std::chrono::seconds(30));

  // A host that accepts and never answers, with the default budget (30 s).
  FaultProxy silent("127.0.0.1", 1, [](int, std::string_view) { return ProxyFault::Silent(); });
  AzureOptions hanging = AzureTestOptions("silent");
  hanging.endpoint = silent.endpoint() + "/devstoreaccount1";
  hanging.retry.budget = std::chrono::seconds(30);
  AzureStorage b(hanging);
  auto [e2, took2] = TimedError([&] { b.Stat("x"); });
  EXPECT_EQ(e2.code(), ErrorCode::kNetwork);
  EXPECT_THAT(e2.what(), HasSubstr("gave up after"));
  EXPECT_LT(took2, std::chrono::seconds(30));
}

TEST(AzureStorageTest, ResetsAndHangsMidTransferAreRetried) {
  auto [host, port] = AzuriteHostPort();
  // Every third connection is reset after a few KiB, every fifth hangs after a few KiB.
  FaultProxy proxy(host, port, [](int n, std::string_view) {
    if (n % 3 == 1) return ProxyFault::ResetAfter(3000);
    if (n % 5 == 2) return ProxyFault::StallAfter(3000);
    return ProxyFault::None();
  });
  AzureOptions o = AzureTestOptions("faults");
  o.endpoint = ThroughProxy(proxy);
  o.buffer_size = 128u << 10;
  o.read_chunk_size = 64u << 10;
  o.retry.budget = std::chrono::seconds(20);  // a hang costs a stall timeout (5 s) per try
  AzureStorage storage(o);
  const std::string data = RandomBytes(700u << 10, 6);
  auto writer = storage.Put("obj");
  writer->Write(AsBytes(data));
  writer->Close();
  EXPECT_EQ(ReadAll(*storage.Get("obj")), data);
  // Connections 1 (reset) and 2 (hang) at least; how many more the transfer opens depends on how
  // often keep-alive connections are reused, so more is not required.
  EXPECT_GE(proxy.faults(), 2);
}

// Azure's throttling answer.
ScriptedResponse ServerBusy() {
  ScriptedResponse r;
  r.status = 503;
  r.headers = {{"x-ms-error-code", "ServerBusy"}};
  r.body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>"
      "The server is busy.\nRequestId:1</Message></Error>";
  return r;
}

AzureOptions ScriptedOptions(const ScriptedHttpServer& server, std::string_view what) {
  AzureOptions o = AzureTestOptions(what);
  o.endpoint = server.endpoint() + "/devstoreaccount1";
  o.retry.base_delay = std::chrono::milliseconds(10);
  return o;
}

TEST(AzureStorageTest, ServerBusyIsRetriedThenGivenUpOnWithOneLine) {
  ScriptedHttpServer server;
  server.Enqueue(ServerBusy());
  server.Enqueue(ServerBusy());
  ScriptedResponse created;
  created.status = 201;
  server.Enqueue(created);
  AzureStorage storage(ScriptedOptions(server, "busy"));
  PutString(storage, "k", "data");
  ASSERT_EQ(server.request_count(), 3u);
  for (const RecordedRequest& r : server.requests()) {
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.body, "data");
    EXPECT_THAT(r.Header("authorization").value_or(""), HasSubstr("SharedKey devstoreaccount1:"));
    EXPECT_EQ(r.Header("x-ms-blob-type"), "BlockBlob");
  }

  ScriptedHttpServer always;
  always.SetHandler([](const RecordedRequest&) { return ServerBusy(); });
  AzureOptions o = ScriptedOptions(always, "busy-forever");
  o.retry.budget = std::chrono::seconds(3);
  AzureStorage busy(o);
  auto [e, took] = TimedError([&] { busy.Stat("k"); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_THAT(e.what(), HasSubstr("HTTP 503"));
  EXPECT_THAT(e.what(), HasSubstr("ServerBusy"));
  EXPECT_THAT(e.what(), HasSubstr("gave up after"));
  ExpectOneLineWithout(e, Azurite().key);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(AzureStorageTest, ManagedIdentityTokensFromTheMetadataServiceAreRenewed) {
  // One scripted server plays the instance metadata service and the blob service.
  ScriptedHttpServer server;
  int tokens = 0;
  server.SetHandler([&](const RecordedRequest& r) {
    ScriptedResponse answer;
    if (r.Path() == "/metadata/identity/oauth2/token") {
      ++tokens;
      // Each token expires in 4 minutes: inside the 5-minute margin, so every use renews it.
      answer.body = fmt::format(
          R"({{"access_token":"token-{}","expires_in":"240","token_type":"Bearer",)"
          R"("resource":"https://storage.azure.com/"}})",
          tokens);
      return answer;
    }
    answer.status = 404;
    answer.headers = {{"x-ms-error-code", "BlobNotFound"}};
    return answer;
  });
  AzureOptions o = ScriptedOptions(server, "identity");
  o.auth = AzureAuth::kManagedIdentity;
  o.access_key = SecretString();
  o.imds_endpoint = server.endpoint();
  o.client_id = "client-7";
  AzureStorage storage(o);
  EXPECT_FALSE(storage.Stat("a"));
  EXPECT_FALSE(storage.Stat("b"));
  std::vector<RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].Header("metadata"), "true");
  EXPECT_THAT(requests[0].Query(), HasSubstr("api-version=2018-02-01"));
  EXPECT_THAT(requests[0].Query(), HasSubstr("resource=https%3A%2F%2Fstorage.azure.com%2F"));
  EXPECT_THAT(requests[0].Query(), HasSubstr("client_id=client-7"));
  EXPECT_EQ(requests[1].Header("authorization"), "Bearer token-1");
  EXPECT_EQ(requests[3].Header("authorization"), "Bearer token-2");
  EXPECT_EQ(requests[1].Header("x-ms-version"), "2021-08-06");
}

TEST(AzureStorageTest, NoManagedIdentityIsOneLineNamingTheSettings) {
  ScriptedHttpServer imds;
  imds.SetHandler([](const RecordedRequest&) {
    ScriptedResponse r;
    r.status = 400;
    r.body = R"({"error":"invalid_request","error_description":"Identity not found"})";
    return r;
  });
  AzureOptions o = AzureTestOptions("no-identity");
  o.auth = AzureAuth::kManagedIdentity;
  o.access_key = SecretString();
  o.imds_endpoint = imds.endpoint();
  AzureStorage storage(o);
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(e.what(), HasSubstr("AZURE_STORAGE_ACCESS_KEY, AZURE_STORAGE_SAS_TOKEN"));
  EXPECT_THAT(e.what(), HasSubstr("Identity not found"));
  EXPECT_LT(took, std::chrono::seconds(10));
}

}  // namespace
}  // namespace walnut::azure
