#include "storage/gcs/gcs_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut::gcs {

std::optional<ObjectResource> GetObjectResource(GcsClient& client, const std::string& object,
                                                Deadline deadline) {
  GcsCall call;
  call.op = "objects.get";
  call.method = "GET";
  call.url = client.ObjectUrl(object);
  call.object = object;
  call.object_request = true;
  call.ok_statuses = {200, 404};
  std::optional<ObjectResource> resource;
  client.Retry(
      [&] {
        net::HttpResponse response = client.Send(call);
        if (response.status == 404) {
          // A missing bucket is an error, not an absent object.
          Error e = client.ErrorFor(call, response);
          if (e.code() != ErrorCode::kNotFound) throw e;
          resource.reset();
          return;
        }
        resource = ParseObjectResource(response.body);
        if (resource->name != object) {
          throw Error(ErrorCode::kProtocol,
                      fmt::format("gcs objects.get {}: the answer describes another object",
                                  client.Uri(object)),
                      /*retryable=*/true);
        }
      },
      deadline);
  return resource;
}

GcsReader::GcsReader(GcsClient& client, std::string object, ByteRange range)
    : client_(client),
      object_(std::move(object)),
      prefetcher_([this](uint64_t offset, uint64_t length,
                         std::stop_token stop) { return FetchChunk(offset, length, stop); },
                  client.options().read_chunk_size) {
  auto resource = GetObjectResource(client_, object_, client_.OperationDeadline());
  if (!resource) {
    throw Error(ErrorCode::kNotFound, fmt::format("object {} not found", client_.Uri(object_)));
  }
  resource_ = std::move(*resource);
  uint64_t start = std::min(range.offset, resource_.size);
  uint64_t end = resource_.size;
  if (range.length) end = std::min(end, start + *range.length);
  prefetcher_.Start(std::string(), start, end);
}

std::string GcsReader::FetchChunk(uint64_t offset, uint64_t length, std::stop_token stop) {
  std::string data;
  data.reserve(static_cast<size_t>(length));
  const std::string what = fmt::format("gcs objects.get (media) {} bytes {}-{}",
                                       client_.Uri(object_), offset, offset + length - 1);
  net::QueryParams query = {{"alt", "media"}};
  if (!resource_.generation.empty()) query.emplace_back("generation", resource_.generation);
  const std::string url = client_.ObjectUrl(object_, query);
  client_.Retry(
      [&] {
        if (stop.stop_requested()) {
          throw Error(ErrorCode::kCancelled, fmt::format("{} cancelled", what));
        }
        if (data.size() == length) return;
        uint64_t from = offset + data.size();
        GcsCall call;
        call.op = "objects.get (media)";
        call.method = "GET";
        call.url = url;
        call.object = object_;
        call.object_request = true;
        call.stop = stop;
        call.headers = {{"Range", fmt::format("bytes={}-{}", from, offset + length - 1)}};
        call.ok_statuses = {206, 200};
        ++client_.stats().ranged_gets;
        auto on_headers = [&](const net::HttpResponse& r) {
          // A 200 is the whole object: usable only from its start, as the chunk it is.
          if (r.status == 200 && from != 0) {
            throw Error(ErrorCode::kProtocol,
                        fmt::format("{}: the server ignored the Range header", what));
          }
        };
        auto sink = [&](ConstByteSpan piece) {
          if (stop.stop_requested()) {
            throw Error(ErrorCode::kCancelled, fmt::format("{} cancelled", what));
          }
          if (data.size() + piece.size() > length) {
            throw Error(ErrorCode::kProtocol,
                        fmt::format("{}: the server sent more bytes than asked for", what));
          }
          data.append(AsChars(piece));
        };
        try {
          client_.Send(call, sink, on_headers);
        } catch (const Error& e) {
          if (e.code() == ErrorCode::kNotFound) {
            throw Error(ErrorCode::kNotFound,
                        fmt::format("object {} was deleted or replaced while it was being read "
                                    "(generation {} is gone); read it again",
                                    client_.Uri(object_), resource_.generation));
          }
          throw;
        }
        if (data.size() < length) {
          throw Error(
              ErrorCode::kNetwork,
              fmt::format("{}: the response ended after {} of {} bytes", what, data.size(), length),
              /*retryable=*/true);
        }
      },
      // Reads are not bounded by GCS_CONTEXT_TIMEOUT (WAL-G's reader has no deadline either):
      // a restore reads for as long as it takes, each request within its own budget.
      Deadline::max());
  return data;
}

}  // namespace walnut::gcs
