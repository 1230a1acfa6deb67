#include "storage/azure/azure_storage.h"

#include <algorithm>

#include <fmt/format.h>

#include "concurrency/task_group.h"
#include "net/http_date.h"
#include "storage/azure/azure_blob_reader.h"
#include "storage/azure/azure_block_writer.h"
#include "storage/azure/azure_xml.h"

namespace walnut::azure {
namespace {

// Azure's limits: 4000 MiB per block, 50000 blocks per blob.
constexpr uint64_t kMaxBlockSize = uint64_t{4000} << 20;
constexpr size_t kMinBufferSize = 1024;  // as WAL-G's minBufferSize

Error Invalid(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

// Azure container names: 3-63 characters of lower-case letters, digits and single hyphens.
bool ValidContainerName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  if (name.front() == '-' || name.back() == '-') return false;
  char previous = 0;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-')) return false;
    previous = c;
  }
  return true;
}

}  // namespace

void ValidateAzureOptions(const AzureOptions& o) {
  if (o.account.empty()) {
    throw Invalid("AZURE_STORAGE_ACCOUNT is required with WALG_AZ_PREFIX (or an AccountName in "
                  "AZURE_STORAGE_CONNECTION_STRING)");
  }
  if (!ValidContainerName(o.container)) {
    throw Invalid(fmt::format("WALG_AZ_PREFIX must name a container, as in azure://container/path; "
                              "'{}' is not a container name (3-63 lower-case letters, digits and "
                              "hyphens)",
                              o.container));
  }
  if (o.root.starts_with('/') || o.root.ends_with('/')) {
    throw Invalid(fmt::format("the Azure root '{}' must not begin or end with '/'", o.root));
  }
  if (o.auth == AzureAuth::kSharedKey && o.access_key.empty()) {
    throw Invalid("AZURE_STORAGE_ACCESS_KEY is empty");
  }
  if (o.auth == AzureAuth::kSas && o.sas_token.empty()) {
    throw Invalid("AZURE_STORAGE_SAS_TOKEN is empty");
  }
  if (o.buffer_size < kMinBufferSize || o.buffer_size > kMaxBlockSize) {
    throw Invalid(fmt::format("WALG_AZURE_BUFFER_SIZE must be between 1024 bytes and 4000 MiB "
                              "(Azure's block limit), not {}",
                              o.buffer_size));
  }
  if (o.max_buffers < 1) throw Invalid("WALG_AZURE_MAX_BUFFERS must be at least 1");
  if (o.read_chunk_size < (64u << 10)) {
    throw Invalid("the Azure read chunk size must be at least 64 KiB");
  }
  if (o.list_max_results < 1 || o.list_max_results > 5000) {
    throw Invalid("the Azure list page size must be between 1 and 5000 blobs");
  }
  if (o.delete_concurrency < 1) throw Invalid("the Azure delete concurrency must be at least 1");
}

AzureStorage::AzureStorage(AzureOptions options) : options_(std::move(options)) {
  ValidateAzureOptions(options_);
  if (!options_.root.empty()) root_prefix_ = options_.root + "/";
  client_ = std::make_unique<AzureClient>(options_);
}

AzureStorage::~AzureStorage() = default;

std::string AzureStorage::FullKey(std::string_view key) const {
  return root_prefix_ + std::string(key);
}

std::string AzureStorage::Describe() const { return client_->Uri(options_.root); }

std::unique_ptr<StorageReader> AzureStorage::Get(std::string_view key, ByteRange range) {
  return std::make_unique<AzureBlobReader>(*client_, FullKey(key), range);
}

std::optional<ObjectInfo> AzureStorage::Stat(std::string_view key) {
  AzureCall call;
  call.op = "Get Blob Properties";
  call.method = "HEAD";
  call.blob = FullKey(key);
  call.ok_statuses = {200, 404};
  net::HttpResponse response;
  client_->Retry([&] {
    response = client_->Send(call);
    if (response.status != 404) return;
    // A missing container is a configuration error, not a missing object.
    auto code = response.Header("x-ms-error-code");
    if (code && *code == "ContainerNotFound") {
      call.ok_statuses = {200};
      throw client_->ErrorFor(call, response);
    }
  });
  if (response.status == 404) return std::nullopt;
  ObjectInfo info;
  info.key = std::string(key);
  auto length = response.Header("content-length");
  if (!length || length->empty() || length->size() > 19 ||
      length->find_first_not_of("0123456789") != std::string_view::npos) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("azure Get Blob Properties {}: no valid Content-Length",
                            client_->Uri(call.blob)));
  }
  info.size = std::stoull(std::string(*length));
  if (auto modified = response.Header("last-modified")) {
    if (auto t = net::ParseHttpDate(*modified)) info.mtime = *t;
  }
  info.metadata = UserMetadata(response);
  return info;
}

std::unique_ptr<Writer> AzureStorage::Put(std::string_view key, const PutOptions& options) {
  return std::make_unique<AzureBlockWriter>(*client_, FullKey(key), options.metadata,
                                            options.late_metadata);
}

void AzureStorage::List(std::string_view prefix, const ListOptions& options,
                        const std::function<void(const ObjectInfo&)>& fn) {
  const std::string full_prefix = FullKey(prefix);
  std::string marker;
  do {
    AzureCall call;
    call.op = "List Blobs";
    call.method = "GET";
    call.query = {{"restype", "container"},
                  {"comp", "list"},
                  {"maxresults", std::to_string(options_.list_max_results)}};
    if (!full_prefix.empty()) call.query.emplace_back("prefix", full_prefix);
    if (!options.recursive) call.query.emplace_back("delimiter", "/");
    if (!marker.empty()) call.query.emplace_back("marker", marker);
    BlobListPage page;
    client_->Retry([&] {
      net::HttpResponse response = client_->Send(call);
      try {
        page = ParseListBlobs(response.body);
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("azure List Blobs {}: {}", client_->Uri(full_prefix),
                                          e.what()),
                    e.retryable());
      }
    });
    ++client_->stats().list_pages;

    // Blobs and prefixes come in one list in name order; keep only those below the root.
    std::vector<ObjectInfo> entries;
    entries.reserve(page.blobs.size() + page.prefixes.size());
    for (auto& blob : page.blobs) {
      if (!blob.name.starts_with(root_prefix_)) continue;
      entries.push_back(
          ObjectInfo{blob.name.substr(root_prefix_.size()), blob.size, blob.mtime, false, {}});
    }
    for (auto& p : page.prefixes) {
      if (!p.starts_with(root_prefix_)) continue;
      entries.push_back(ObjectInfo{p.substr(root_prefix_.size()), 0, {}, true, {}});
    }
    std::sort(entries.begin(), entries.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    for (const auto& entry : entries) fn(entry);

    if (!page.next_marker.empty() && page.next_marker == marker) {
      throw Error(ErrorCode::kProtocol, fmt::format("azure List Blobs {} returned the same marker "
                                                    "twice",
                                                    client_->Uri(full_prefix)));
    }
    marker = page.next_marker;
  } while (!marker.empty());
}

void AzureStorage::Delete(std::span<const std::string> keys) {
  if (keys.empty()) return;
  TaskGroup tasks(std::min(options_.delete_concurrency, keys.size()));
  for (const std::string& key : keys) {
    tasks.Submit([this, blob = FullKey(key)](std::stop_token stop) {
      AzureCall call;
      call.op = "Delete Blob";
      call.method = "DELETE";
      call.blob = blob;
      // 404: already gone. Snapshots go with the blob, as WAL-G deletes them.
      call.headers.emplace_back("x-ms-delete-snapshots", "include");
      call.ok_statuses = {202, 404};
      call.stop = stop;
      net::HttpResponse response = client_->SendWithRetries(call);
      auto code = response.Header("x-ms-error-code");
      if (response.status == 404 && code && *code == "ContainerNotFound") {
        call.ok_statuses = {202};
        throw client_->ErrorFor(call, response);
      }
      ++client_->stats().deletes;
    });
  }
  tasks.Wait();
}

bool AzureStorage::Supports(StorageFeature feature) const {
  // Put Block List carries the metadata at commit: late metadata is kept at any size.
  return feature == StorageFeature::kLateMetadata || feature == StorageFeature::kPrefixListing;
}

uint64_t AzureStorage::PutBufferUnit() const { return options_.buffer_size; }

uint64_t AzureStorage::PutBufferBytes(uint64_t size) const {
  const uint64_t unit = options_.buffer_size;
  const uint64_t buffers_of_object = (size + unit - 1) / unit;
  const uint64_t buffers = std::min<uint64_t>(buffers_of_object, options_.max_buffers);
  return std::min<uint64_t>(size, buffers * unit);
}

}  // namespace walnut::azure
