#include "storage/gcs/gcs_storage.h"

#include <algorithm>
#include <variant>

#include <fmt/format.h>

#include "common/error.h"
#include "concurrency/task_group.h"
#include "storage/gcs/gcs_json.h"
#include "storage/gcs/gcs_reader.h"
#include "storage/gcs/gcs_writer.h"

namespace walnut::gcs {

GcsStorage::GcsStorage(GcsOptions options)
    : options_(std::move(options)), client_(std::make_unique<GcsClient>(options_)) {}

std::string GcsStorage::Describe() const {
  std::string root = options_.root;
  if (root.ends_with('/')) root.pop_back();
  return root.empty() ? fmt::format("gs://{}", options_.bucket)
                      : fmt::format("gs://{}/{}", options_.bucket, root);
}

std::unique_ptr<StorageReader> GcsStorage::Get(std::string_view key, ByteRange range) {
  return std::make_unique<GcsReader>(*client_, ObjectName(key), range);
}

std::optional<ObjectInfo> GcsStorage::Stat(std::string_view key) {
  auto resource = GetObjectResource(*client_, ObjectName(key), client_->OperationDeadline());
  if (!resource) return std::nullopt;
  ObjectInfo info;
  info.key = std::string(key);
  info.size = resource->size;
  info.mtime = resource->updated;
  info.metadata = std::move(resource->metadata);
  return info;
}

std::unique_ptr<Writer> GcsStorage::Put(std::string_view key, const PutOptions& options) {
  return std::make_unique<GcsWriter>(*client_, ObjectName(key), options.metadata,
                                     options.late_metadata);
}

void GcsStorage::List(std::string_view prefix, const ListOptions& options,
                      const std::function<void(const ObjectInfo&)>& fn) {
  const std::string full_prefix = ObjectName(prefix);
  const Deadline deadline = client_->OperationDeadline();
  std::string page_token;
  do {
    net::QueryParams query = {{"prefix", full_prefix}};
    if (!options.recursive) query.emplace_back("delimiter", "/");
    if (!page_token.empty()) query.emplace_back("pageToken", page_token);
    GcsCall call;
    call.op = "objects.list";
    call.method = "GET";
    call.url = client_->ListUrl(query);
    call.object = full_prefix;
    ListPage page;
    client_->Retry(
        [&] {
          net::HttpResponse response = client_->Send(call);
          page = ParseListPage(response.body);
        },
        deadline);
    ++client_->stats().list_pages;
    if (!page.next_page_token.empty() && page.next_page_token == page_token) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("gcs objects.list {}: the server gave the same page token twice",
                              client_->Uri(full_prefix)));
    }
    // Objects and prefixes come in two lists; callers want one, in key order.
    std::vector<ObjectInfo> entries;
    entries.reserve(page.items.size() + page.prefixes.size());
    for (ObjectResource& item : page.items) {
      if (!item.name.starts_with(full_prefix) || item.name.size() == options_.root.size()) {
        continue;  // not below the root (a damaged answer), or a "directory" placeholder
      }
      ObjectInfo info;
      info.key = item.name.substr(options_.root.size());
      info.size = item.size;
      info.mtime = item.updated;
      entries.push_back(std::move(info));
    }
    for (const std::string& p : page.prefixes) {
      if (!p.starts_with(full_prefix) || p.size() <= options_.root.size()) continue;
      ObjectInfo info;
      info.key = p.substr(options_.root.size());
      info.is_prefix = true;
      entries.push_back(std::move(info));
    }
    std::sort(entries.begin(), entries.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    for (const ObjectInfo& info : entries) fn(info);
    page_token = std::move(page.next_page_token);
  } while (!page_token.empty());
}

void GcsStorage::DeleteOne(const std::string& object, Deadline deadline) {
  GcsCall call;
  call.op = "objects.delete";
  call.method = "DELETE";
  call.url = client_->ObjectUrl(object);
  call.object = object;
  call.object_request = true;
  call.ok_statuses = {204, 200, 404};
  client_->Retry(
      [&] {
        net::HttpResponse response = client_->Send(call);
        if (response.status == 404) {
          Error e = client_->ErrorFor(call, response);
          if (e.code() != ErrorCode::kNotFound) throw e;  // the bucket is missing
        }
      },
      deadline);
  ++client_->stats().deletes;
}

void GcsStorage::Delete(std::span<const std::string> keys) {
  if (keys.empty()) return;
  const Deadline deadline = client_->OperationDeadline();
  if (keys.size() == 1) return DeleteOne(ObjectName(keys[0]), deadline);
  // The JSON API deletes one object per request; several run at once. The first failure stops
  // the others and is rethrown.
  TaskGroup tasks(static_cast<size_t>(options_.delete_concurrency));
  for (const std::string& key : keys) {
    if (tasks.failed()) break;
    tasks.Submit([this, object = ObjectName(key), deadline](std::stop_token stop) {
      if (stop.stop_requested()) return;
      DeleteOne(object, deadline);
    });
  }
  tasks.Wait();
}

bool GcsStorage::Supports(StorageFeature feature) const {
  // Late metadata: with the object when it fits one multipart upload, else by objects.patch right
  // after the upload (not atomic with it: kLateMetadata is not claimed).
  return feature == StorageFeature::kPrefixListing;
}

uint64_t GcsStorage::PutBufferBytes(uint64_t size) const {
  // An object that fits one chunk is copied once more into the multipart body.
  return size <= options_.chunk_size ? 2 * size : options_.chunk_size;
}

}  // namespace walnut::gcs
