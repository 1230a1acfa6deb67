#include "support/rgw_bucket.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <pugixml.hpp>

#include "common/error.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_storage.h"
#include "support/test_config.h"

namespace walnut::testing {
namespace {

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string Required(const char* name) {
  std::string value = Env(name);
  if (value.empty()) {
    throw std::runtime_error(
        fmt::format("WALNUT_IT_RGW_ENDPOINT is set but {} is not: set all of the variables "
                    "tests/tools/ceph-rgw.sh start prints",
                    name));
  }
  return value;
}

// "wit-<what>-<pid>-<ms>-<n>": lower-case letters, digits and '-', at most 63 characters, so
// that neither concurrent tests nor runs against the same server meet.
std::string UniqueBucketName(std::string_view what) {
  static std::atomic<int> counter{0};
  std::string tag;
  for (char c : what) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok || (!tag.empty() && tag.back() != '-')) tag += ok ? c : '-';
  }
  if (tag.size() > 24) tag.resize(24);
  while (!tag.empty() && tag.back() == '-') tag.pop_back();
  if (tag.empty()) tag = "t";
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return fmt::format("wit-{}-{}-{}-{}", tag, ::getpid(), ms % 100000000, counter++);
}

// An S3 client on the bucket itself (key "" = the bucket), for bucket operations the storage
// layer does not have.
s3::S3Options BucketOptions(const RgwServer& server, const std::string& bucket) {
  s3::S3Options o;
  o.endpoint = server.endpoint;
  o.bucket = bucket;
  o.region = server.region;
  o.force_path_style = true;
  o.access_key_id = server.access_key;
  o.secret_access_key = server.secret_key;
  o.retry.base_delay = std::chrono::milliseconds(20);
  o.retry.budget = std::chrono::seconds(60);
  s3::ValidateS3Options(o);
  return o;
}

s3::S3Call Call(std::string op, std::string method, std::string key = "",
                net::QueryParams query = {}) {
  s3::S3Call call;
  call.op = std::move(op);
  call.method = std::move(method);
  call.key = std::move(key);
  call.query = std::move(query);
  return call;
}

struct Entry {
  std::string key, id;  // version id or upload id
};

// Every version and delete marker (ListObjectVersions), page by page.
std::vector<Entry> AllVersions(s3::S3Client& client) {
  std::vector<Entry> out;
  std::string key_marker, version_marker;
  while (true) {
    net::QueryParams query = {{"versions", ""}};
    if (!key_marker.empty()) {
      query.emplace_back("key-marker", key_marker);
      query.emplace_back("version-id-marker", version_marker);
    }
    net::HttpResponse r = client.SendWithRetries(Call("ListObjectVersions", "GET", "", query));
    pugi::xml_document doc;
    if (!doc.load_buffer(r.body.data(), r.body.size())) {
      throw std::runtime_error("ListObjectVersions answered no XML: " + r.body);
    }
    pugi::xml_node root = doc.child("ListVersionsResult");
    for (pugi::xml_node n : root.children()) {
      std::string_view name = n.name();
      if (name == "Version" || name == "DeleteMarker") {
        out.push_back({n.child_value("Key"), n.child_value("VersionId")});
      }
    }
    if (std::string_view(root.child_value("IsTruncated")) != "true") return out;
    key_marker = root.child_value("NextKeyMarker");
    version_marker = root.child_value("NextVersionIdMarker");
  }
}

// Multipart uploads begun and never completed (a killed writer leaves them).
std::vector<Entry> OpenUploads(s3::S3Client& client) {
  net::HttpResponse r =
      client.SendWithRetries(Call("ListMultipartUploads", "GET", "", {{"uploads", ""}}));
  pugi::xml_document doc;
  if (!doc.load_buffer(r.body.data(), r.body.size())) {
    throw std::runtime_error("ListMultipartUploads answered no XML: " + r.body);
  }
  std::vector<Entry> out;
  for (pugi::xml_node n : doc.child("ListMultipartUploadsResult").children("Upload")) {
    out.push_back({n.child_value("Key"), n.child_value("UploadId")});
  }
  return out;
}

}  // namespace

std::optional<RgwServer> RgwFromEnv() {
  std::string endpoint = Env("WALNUT_IT_RGW_ENDPOINT");
  if (endpoint.empty()) {
    if (!WALNUT_TEST_RGW_REQUIRED) return std::nullopt;
    throw std::runtime_error(fmt::format(
        "WALNUT_IT_RGW_ENDPOINT is unset, and this build requires RGW (WALNUT_TEST_RGW=ON): "
        "ctest's rgw_up (tests/tools/ceph-rgw.sh) did not write {}, or the test ran outside "
        "ctest; start RGW or set the WALNUT_IT_RGW_* variables",
        *WALNUT_TEST_RGW_ENV_FILE ? WALNUT_TEST_RGW_ENV_FILE : "its env file"));
  }
  RgwServer server;
  server.endpoint = endpoint;
  server.access_key = Required("WALNUT_IT_RGW_ACCESS_KEY");
  server.secret_key = SecretString(Required("WALNUT_IT_RGW_SECRET_KEY"));
  server.region = Required("WALNUT_IT_RGW_REGION");
  server.role_arn = Env("WALNUT_IT_RGW_ROLE_ARN");
  return server;
}

RgwBucket::RgwBucket(RgwServer server, std::string_view what, RgwBucketOptions options)
    : server_(std::move(server)),
      name_(UniqueBucketName(what)),
      versioned_(options.versioning || options.object_lock) {
  s3::S3Client client(BucketOptions(server_, name_));
  s3::S3Call create = Call("CreateBucket", "PUT");
  // RGW, like AWS, refuses a LocationConstraint other than its zonegroup's; us-east-1 is the
  // one region named by its absence.
  std::string body;
  if (server_.region != "us-east-1") {
    body = fmt::format(
        "<CreateBucketConfiguration xmlns=\"{}\"><LocationConstraint>{}</LocationConstraint>"
        "</CreateBucketConfiguration>",
        kS3Namespace, server_.region);
    create.body = AsBytes(body);
    create.headers.emplace_back("Content-Type", "application/xml");
  }
  if (options.object_lock) create.headers.emplace_back("x-amz-bucket-object-lock-enabled", "true");
  client.SendWithRetries(create);
  if (options.versioning && !options.object_lock) {
    std::string versioning = fmt::format(
        "<VersioningConfiguration xmlns=\"{}\"><Status>Enabled</Status></VersioningConfiguration>",
        kS3Namespace);
    s3::S3Call call = Call("PutBucketVersioning", "PUT", "", {{"versioning", ""}});
    call.body = AsBytes(versioning);
    call.headers.emplace_back("Content-Type", "application/xml");
    client.SendWithRetries(call);
  }
}

RgwBucket::RgwBucket(RgwBucket&& other) noexcept
    : server_(std::move(other.server_)),
      name_(std::exchange(other.name_, "")),
      versioned_(other.versioned_) {}

RgwBucket::~RgwBucket() {
  if (name_.empty()) return;  // moved from
  try {
    Empty();
    s3::S3Client client(BucketOptions(server_, name_));
    client.SendWithRetries([] {
      s3::S3Call call = Call("DeleteBucket", "DELETE");
      call.ok_statuses = {204, 200};
      return call;
    }());
  } catch (const std::exception& e) {
    // A locked object keeps the bucket; the server is throwaway, so this is no test failure.
    spdlog::warn("RGW bucket {} left behind: {}", name_, e.what());
  }
}

void RgwBucket::Empty() const {
  s3::S3Client client(BucketOptions(server_, name_));
  for (const Entry& upload : OpenUploads(client)) {
    s3::S3Call call = Call("AbortMultipartUpload", "DELETE", upload.key, {{"uploadId", upload.id}});
    call.ok_statuses = {204, 200, 404};
    client.SendWithRetries(call);
  }
  for (const Entry& version : AllVersions(client)) {
    s3::S3Call call = Call("DeleteObject", "DELETE", version.key);
    if (!version.id.empty() && version.id != "null") call.query = {{"versionId", version.id}};
    if (versioned_) call.headers.emplace_back("x-amz-bypass-governance-retention", "true");
    call.ok_statuses = {204, 200, 404};
    client.SendWithRetries(call);
  }
}

std::vector<std::string> RgwBucket::OpenUploadKeys() const {
  s3::S3Client client(BucketOptions(server_, name_));
  std::vector<std::string> keys;
  for (const Entry& upload : OpenUploads(client)) keys.push_back(upload.key);
  return keys;
}

s3::S3Options RgwBucket::Options(const std::string& root) const {
  s3::S3Options o = BucketOptions(server_, name_);
  o.root = root;
  return o;
}

std::map<std::string, std::string> RgwBucket::Settings(const std::string& root) const {
  return {
      {"WALG_S3_PREFIX", "s3://" + name_ + (root.empty() ? "" : "/" + root)},
      {"AWS_ENDPOINT", server_.endpoint},
      {"AWS_REGION", server_.region},
      {"AWS_S3_FORCE_PATH_STYLE", "true"},
      {"AWS_ACCESS_KEY_ID", server_.access_key},
      {"AWS_SECRET_ACCESS_KEY", server_.secret_key.Reveal()},
  };
}

}  // namespace walnut::testing
