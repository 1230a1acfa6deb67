#include "storage/s3/s3_storage.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "storage/s3/s3_multipart_writer.h"
#include "storage/s3/s3_object_lock.h"
#include "storage/s3/s3_object_reader.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

namespace {

constexpr size_t kMinPartSize = 5u << 20;             // S3: all parts but the last
constexpr uint64_t kMaxPartSize = uint64_t{5} << 30;  // S3: 5 GiB per part
constexpr int kMaxRetentionDays = 36500;              // S3: 100 years

Error Invalid(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string TrimSlashes(std::string_view s) {
  while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

void ValidateS3Options(const S3Options& o) {
  if (o.bucket.empty()) {
    throw Invalid("WALG_S3_PREFIX must name a bucket, as in s3://bucket/path");
  }
  if (o.bucket.find('/') != std::string::npos) {
    throw Invalid(fmt::format("S3 bucket name '{}' must not contain '/'", o.bucket));
  }
  if (!o.endpoint.empty()) net::ParseEndpoint(o.endpoint, "AWS_ENDPOINT");
  if (!o.access_key_id.empty() && o.secret_access_key.empty()) {
    throw Invalid("AWS_SECRET_ACCESS_KEY is required when AWS_ACCESS_KEY_ID is set");
  }
  if (o.access_key_id.empty() && !o.session_token.empty()) {
    throw Invalid("AWS_SESSION_TOKEN is set but AWS_ACCESS_KEY_ID is not");
  }
  if (o.storage_class.empty() ||
      !std::all_of(o.storage_class.begin(), o.storage_class.end(),
                   [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; })) {
    throw Invalid(fmt::format(
        "WALG_S3_STORAGE_CLASS '{}' is not a storage class (STANDARD, STANDARD_IA, ...)",
        o.storage_class));
  }
  bool kms = o.sse == "aws:kms" || o.sse == "aws:kms:dsse";
  if (!o.sse.empty() && o.sse != "AES256" && !kms) {
    throw Invalid(
        fmt::format("WALG_S3_SSE must be AES256, aws:kms or aws:kms:dsse, not '{}'", o.sse));
  }
  if (kms && o.sse_kms_id.empty()) {
    throw Invalid(fmt::format("WALG_S3_SSE_KMS_ID is required when WALG_S3_SSE={}", o.sse));
  }
  if (!kms && !o.sse_kms_id.empty()) {
    throw Invalid("WALG_S3_SSE_KMS_ID is set but WALG_S3_SSE is not aws:kms");
  }
  if (!o.sse_customer_key.empty() &&
      (o.sse_customer_key.Reveal().size() != 32 || (!o.sse.empty() && o.sse != "AES256"))) {
    throw Invalid("WALG_S3_SSE_C must be a 32-byte key, used with WALG_S3_SSE unset or AES256");
  }
  if (o.retention_days == 0 || o.retention_days < -1 || o.retention_days > kMaxRetentionDays) {
    throw Invalid(fmt::format(
        "S3_RETENTION_PERIOD must be a number of days from 1 to {}, or -1 for none, not {}",
        kMaxRetentionDays, o.retention_days));
  }
  if (o.retention_mode != "GOVERNANCE" && o.retention_mode != "COMPLIANCE") {
    throw Invalid(fmt::format("S3_RETENTION_MODE must be GOVERNANCE or COMPLIANCE, not '{}'",
                              o.retention_mode));
  }
  if (o.max_part_size < kMinPartSize || o.max_part_size > kMaxPartSize) {
    throw Invalid(fmt::format(
        "WALG_S3_MAX_PART_SIZE must be between 5 MiB and 5 GiB (S3's part limits), not {}",
        o.max_part_size));
  }
  if (o.upload_concurrency < 1) throw Invalid("WALG_UPLOAD_CONCURRENCY must be at least 1");
  if (o.read_chunk_size < (64u << 10)) {
    throw Invalid("the S3 read chunk size must be at least 64 KiB");
  }
  if (o.delete_batch_size < 1 || o.delete_batch_size > 1000) {
    throw Invalid("S3_DELETE_BATCH_SIZE must be between 1 and 1000 keys (DeleteObjects' limit)");
  }
  if (o.list_max_keys < 1 || o.list_max_keys > 1000) {
    throw Invalid("the S3 list page size must be between 1 and 1000 keys");
  }
  if (o.retry.max_attempts < 1) throw Invalid("the S3 retry attempts must be at least 1");
  if (!o.ca_cert_file.empty()) {
    std::ifstream probe(o.ca_cert_file);
    if (!probe) {
      throw Invalid(
          fmt::format("the CA file '{}' (WALG_S3_CA_CERT_FILE, else AWS_CA_BUNDLE) "
                      "cannot be read: {}",
                      o.ca_cert_file, std::strerror(errno)));
    }
  }
}

S3Storage::S3Storage(S3Options options)
    : options_(std::move(options)), versioning_(options_.versioning) {
  options_.root = TrimSlashes(options_.root);
  ValidateS3Options(options_);
  if (!options_.root.empty()) root_prefix_ = options_.root + "/";
  client_ = std::make_unique<S3Client>(options_);
}

S3Storage::~S3Storage() = default;

std::string S3Storage::FullKey(std::string_view key) const {
  return root_prefix_ + std::string(key);
}

std::string S3Storage::Describe() const {
  return options_.root.empty() ? client_->Uri("") : client_->Uri(options_.root);
}

std::unique_ptr<StorageReader> S3Storage::Get(std::string_view key, ByteRange range) {
  return std::make_unique<S3ObjectReader>(*client_, FullKey(key), range);
}

std::optional<ObjectInfo> S3Storage::Stat(std::string_view key) {
  S3Call call = HeadObjectCall(FullKey(key), {200, 404});
  net::HttpResponse response;
  client_->Retry([&] {
    response = client_->Send(call);
    if (response.status == 404) return;
    auto length = response.Header("content-length");
    if (!length || length->empty() || length->size() > 19 ||
        !std::all_of(length->begin(), length->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("s3 HeadObject {}: no valid Content-Length", client_->Uri(call.key)),
                  /*retryable=*/true);
    }
  });
  if (response.status == 404) return std::nullopt;
  ObjectInfo info;
  info.key = std::string(key);
  info.size = std::stoull(std::string(*response.Header("content-length")));
  if (auto modified = response.Header("last-modified")) {
    if (auto t = ParseHttpDate(*modified)) info.mtime = *t;
  }
  info.metadata = UserMetadata(response);
  return info;
}

std::unique_ptr<Writer> S3Storage::Put(std::string_view key, const PutOptions& options) {
  return std::make_unique<S3MultipartWriter>(*client_, FullKey(key), options.size_hint,
                                             options.metadata, options.late_metadata);
}

void S3Storage::List(std::string_view prefix, const ListOptions& options,
                     const std::function<void(const ObjectInfo&)>& fn) {
  std::string full_prefix = FullKey(prefix);
  const bool v1 = options_.list_objects_v1;  // WALG_S3_USE_LIST_OBJECTS_V1
  // Where the next page starts: v2's continuation token or v1's marker.
  std::string token;
  do {
    S3Call call;
    call.op = v1 ? "ListObjects" : "ListObjectsV2";
    call.method = "GET";
    call.query = {{"max-keys", std::to_string(options_.list_max_keys)}};
    if (!v1) call.query.emplace_back("list-type", "2");
    if (!full_prefix.empty()) call.query.emplace_back("prefix", full_prefix);
    if (!options.recursive) call.query.emplace_back("delimiter", "/");
    if (!token.empty()) call.query.emplace_back(v1 ? "marker" : "continuation-token", token);
    ListPage page;
    client_->Retry([&] {
      page = S3Client::ParseAnswer(call.op, client_->Uri(full_prefix), client_->Send(call).body,
                                   v1 ? ParseListObjectsV1 : ParseListObjectsV2);
    });
    ++client_->stats().list_pages;

    // Objects and common prefixes come in two sorted lists; merge them into key order.
    std::vector<ObjectInfo> entries;
    entries.reserve(page.objects.size() + page.common_prefixes.size());
    auto relative = [&](const std::string& full) -> std::optional<std::string> {
      if (!full.starts_with(root_prefix_)) return std::nullopt;
      return full.substr(root_prefix_.size());
    };
    for (auto& obj : page.objects) {
      auto key = relative(obj.key);
      if (!key) continue;
      entries.push_back(ObjectInfo{std::move(*key), obj.size, obj.mtime, false, {}});
    }
    for (auto& p : page.common_prefixes) {
      auto key = relative(p);
      if (!key) continue;
      entries.push_back(ObjectInfo{std::move(*key), 0, {}, true, {}});
    }
    std::sort(entries.begin(), entries.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    for (const auto& entry : entries) fn(entry);

    const std::string& next = v1 ? page.next_marker : page.next_continuation_token;
    // A v1 marker must move forward in key order, or the listing would never end.
    if (page.is_truncated && (next == token || (v1 && next < token))) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("s3 {} {} returned the same {} twice", call.op,
                              client_->Uri(full_prefix), v1 ? "marker" : "continuation token"));
    }
    token = page.is_truncated ? next : std::string();
  } while (!token.empty());
}

void S3Storage::Delete(std::span<const std::string> keys) {
  if (keys.empty()) return;
  const size_t batch_size = options_.delete_batch_size;
  LockedObjects locked;
  if (!versioning_.Versioned(*client_)) {
    for (size_t start = 0; start < keys.size(); start += batch_size) {
      auto batch = keys.subspan(start, std::min(batch_size, keys.size() - start));
      std::vector<KeyVersion> entries;
      entries.reserve(batch.size());
      for (const auto& key : batch) entries.push_back({FullKey(key), ""});
      DeleteEntries(entries, locked);
    }
  } else {
    // A key deleted without its version id only gets a delete marker: name every version. In key
    // order, batches cover disjoint key ranges, and each one's listing starts after the last key
    // of the one before instead of at the start of their common prefix.
    std::vector<std::string> full_keys;
    full_keys.reserve(keys.size());
    for (const auto& key : keys) full_keys.push_back(FullKey(key));
    std::sort(full_keys.begin(), full_keys.end());
    full_keys.erase(std::unique(full_keys.begin(), full_keys.end()), full_keys.end());
    const std::span<const std::string> sorted(full_keys);
    for (size_t start = 0; start < sorted.size(); start += batch_size) {
      auto batch = sorted.subspan(start, std::min(batch_size, sorted.size() - start));
      std::string_view after = start == 0 ? std::string_view() : sorted[start - 1];
      DeleteEntries(VersionsOfKeys(*client_, batch, options_.list_max_keys, after), locked);
    }
  }
  if (!locked.empty()) ThrowLocked(std::move(locked));
}

void S3Storage::DeleteEntries(std::span<const KeyVersion> entries, LockedObjects& locked) {
  const size_t batch_size = options_.delete_batch_size;
  for (size_t start = 0; start < entries.size(); start += batch_size) {
    auto batch = entries.subspan(start, std::min(batch_size, entries.size() - start));
    std::vector<DeleteFailure> failures =
        SendDeleteObjects(*client_, batch, client_->Uri(options_.root));
    // Locked objects do not stop the delete: the caller learns of them at the end.
    locked.Merge(SeparateLocked(*client_, failures));
    if (!failures.empty()) {
      std::string detail;
      for (size_t i = 0; i < failures.size() && i < 3; ++i) {
        detail += fmt::format("{}{} ({}: {})", i ? ", " : "", failures[i].key, failures[i].code,
                              failures[i].message);
      }
      if (failures.size() > 3) detail += fmt::format(" and {} more", failures.size() - 3);
      bool denied = std::any_of(failures.begin(), failures.end(),
                                [](const DeleteFailure& f) { return f.code == "AccessDenied"; });
      throw Error(denied ? ErrorCode::kPermissionDenied : ErrorCode::kIo,
                  fmt::format("s3 DeleteObjects {}: {} of {} keys were not deleted: {}",
                              client_->Uri(options_.root), failures.size(), batch.size(), detail));
    }
  }
}

void S3Storage::ThrowLocked(LockedObjects locked) const {
  // A key whose several versions are locked counts once.
  std::sort(locked.keys.begin(), locked.keys.end());
  locked.keys.erase(std::unique(locked.keys.begin(), locked.keys.end()), locked.keys.end());
  for (std::string& key : locked.keys) {
    if (key.starts_with(root_prefix_)) key.erase(0, root_prefix_.size());
  }
  throw ObjectsLockedError(Describe(), std::move(locked));
}

void S3Storage::ListVersions(std::string_view prefix,
                             const std::function<void(const ObjectVersion&)>& fn) {
  ListObjectVersions(*client_, FullKey(prefix), options_.list_max_keys,
                     [&](const ListedVersion& v) {
                       if (!v.key.starts_with(root_prefix_)) return true;
                       fn(ObjectVersion{v.key.substr(root_prefix_.size()), v.version_id,
                                        v.is_latest, v.is_delete_marker, v.size, v.mtime});
                       return true;
                     });
}

void S3Storage::DeleteVersions(std::span<const ObjectVersion> versions) {
  std::vector<KeyVersion> entries;
  entries.reserve(versions.size());
  for (const ObjectVersion& v : versions) {
    if (v.version_id.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("no version id given for {}", client_->Uri(FullKey(v.key))));
    }
    entries.push_back({FullKey(v.key), v.version_id});
  }
  LockedObjects locked;
  DeleteEntries(entries, locked);
  if (!locked.empty()) ThrowLocked(std::move(locked));
}

bool S3Storage::Supports(StorageFeature feature) const {
  // Not kLateMetadata: a multipart upload sends its metadata before the first part.
  return feature == StorageFeature::kBatchDelete || feature == StorageFeature::kVersions ||
         feature == StorageFeature::kPrefixListing;
}

uint64_t S3Storage::PutBufferUnit() const { return options_.max_part_size; }

uint64_t S3Storage::PutBufferBytes(uint64_t size) const {
  // The writer fills one part while up to upload_concurrency others are in flight; an object of
  // fewer parts holds only what it has.
  uint64_t part = options_.max_part_size;
  uint64_t parts_of_object = (size + part - 1) / part;
  uint64_t parts = std::min<uint64_t>(parts_of_object, options_.upload_concurrency + 1);
  return std::min<uint64_t>(size, parts * part);
}

}  // namespace walnut::s3
