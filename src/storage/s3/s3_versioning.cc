#include "storage/s3/s3_versioning.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/logging.h"
#include "storage/s3/sigv4.h"

namespace walnut::s3 {

namespace {

// Keys that few are listed one by one; more, through their common prefix.
constexpr size_t kKeysListedOneByOne = 8;

std::string CommonPrefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return std::string(a.substr(0, n));
}

}  // namespace

VersioningProbe::VersioningProbe(S3Options::Versioning setting) : setting_(setting) {}

bool VersioningProbe::Versioned(S3Client& client) {
  if (setting_ != S3Options::Versioning::kDetect) {
    return setting_ == S3Options::Versioning::kEnabled;
  }
  MutexLock lock(mu_);
  if (known_) return *known_;
  S3Call call;
  call.op = "GetBucketVersioning";
  call.method = "GET";
  call.query = {{"versioning", ""}};
  // 400, 405 and 501: a server that does not implement the request keeps no versions.
  call.ok_statuses = {200, 400, 403, 405, 501};
  net::HttpResponse response = client.SendWithRetries(call);
  if (response.status == 403) {
    spdlog::warn(
        "cannot ask {} whether it keeps object versions (GetBucketVersioning: access denied): "
        "deleting without version ids; set S3_ENABLE_VERSIONING=enabled (or disabled) to say",
        client.Uri(""));
    known_ = false;
  } else if (response.status != 200) {
    spdlog::debug("{} does not answer GetBucketVersioning (HTTP {}): taken as unversioned",
                  client.Uri(""), response.status);
    known_ = false;
  } else {
    try {
      std::string status = ParseVersioningStatus(response.body);
      known_ = status == "Enabled" || status == "Suspended";
      spdlog::debug("{} versioning: '{}'", client.Uri(""), status);
    } catch (const Error& e) {
      spdlog::debug("{} answers GetBucketVersioning with something else ({}): taken as unversioned",
                    client.Uri(""), e.what());
      known_ = false;
    }
  }
  return *known_;
}

void ListObjectVersions(S3Client& client, std::string_view full_prefix, int max_keys,
                        const std::function<bool(const ListedVersion&)>& fn,
                        std::string_view start_after) {
  // A key-marker without a version-id-marker starts after every version of that key.
  std::string key_marker(start_after), version_marker;
  do {
    S3Call call;
    call.op = "ListObjectVersions";
    call.method = "GET";
    call.query = {{"versions", ""}, {"max-keys", std::to_string(max_keys)}};
    if (!full_prefix.empty()) call.query.emplace_back("prefix", std::string(full_prefix));
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!version_marker.empty()) call.query.emplace_back("version-id-marker", version_marker);
    // 405 and 501: a server that does not implement the request (s3rver) keeps no versions.
    call.ok_statuses = {200, 405, 501};
    VersionsPage page;
    client.Retry([&] {
      net::HttpResponse response = client.Send(call);
      if (response.status != 200) {
        throw Error(ErrorCode::kUnsupported,
                    fmt::format("{} does not list object versions (ListObjectVersions: HTTP {}): "
                                "the server keeps none; list without --all-versions",
                                client.Uri(std::string(full_prefix)), response.status));
      }
      page = S3Client::ParseAnswer(call.op, client.Uri(std::string(full_prefix)), response.body,
                                   ParseListObjectVersions);
    });
    ++client.stats().list_pages;
    for (const ListedVersion& version : page.versions) {
      if (!fn(version)) return;
    }
    if (page.is_truncated && page.next_key_marker == key_marker &&
        page.next_version_id_marker == version_marker) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("s3 ListObjectVersions {} returned the same markers twice",
                              client.Uri(std::string(full_prefix))));
    }
    key_marker = page.is_truncated ? page.next_key_marker : std::string();
    version_marker = page.is_truncated ? page.next_version_id_marker : std::string();
  } while (!key_marker.empty());
}

std::vector<KeyVersion> VersionsOfKeys(S3Client& client, std::span<const std::string> full_keys,
                                       int max_keys, std::string_view start_after) {
  std::vector<KeyVersion> out;
  if (full_keys.empty()) return out;
  std::set<std::string_view> wanted(full_keys.begin(), full_keys.end());
  auto collect_up_to = [&](std::string_view last) {
    return [&out, &wanted, last](const ListedVersion& v) {
      if (v.key > last) return false;  // listings come in key order
      if (wanted.contains(v.key)) out.push_back({v.key, v.version_id});
      return true;
    };
  };
  if (wanted.size() <= kKeysListedOneByOne) {
    for (std::string_view key : wanted)
      ListObjectVersions(client, key, max_keys, collect_up_to(key));
  } else {
    std::string_view first = *wanted.begin();
    std::string_view last = *wanted.rbegin();
    if (start_after >= first) start_after = {};  // would skip wanted keys
    ListObjectVersions(client, CommonPrefix(first, last), max_keys, collect_up_to(last),
                       start_after);
  }
  return out;
}

std::vector<DeleteFailure> SendDeleteObjects(S3Client& client, std::span<const KeyVersion> objects,
                                             std::string_view where) {
  std::string body = BuildDeleteVersionsRequest(objects);
  S3Call call;
  call.op = "DeleteObjects";
  call.method = "POST";
  call.query = {{"delete", ""}};
  call.body = AsBytes(body);
  call.slow_answer = true;  // a server deletes the keys one by one before it answers
  // S3 requires Content-MD5 (or an x-amz-checksum-*) on DeleteObjects.
  call.headers = {{"Content-MD5", Md5Base64(call.body)}, {"Content-Type", "application/xml"}};
  // Deleting is idempotent (S3 reports a key or version that is gone already as deleted): an
  // answer lost or damaged on the way is retried like any other.
  std::vector<DeleteFailure> failures;
  client.Retry([&] {
    failures = S3Client::ParseAnswer(call.op, where, client.Send(call).body, ParseDeleteResult);
  });
  ++client.stats().delete_batches;
  spdlog::debug("s3 DeleteObjects: {} keys or versions", objects.size());
  return failures;
}

}  // namespace walnut::s3
