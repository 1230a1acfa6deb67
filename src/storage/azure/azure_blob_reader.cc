#include "storage/azure/azure_blob_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace walnut::azure {
namespace {

// "bytes 0-4/21" -> 21.
std::optional<uint64_t> TotalFromContentRange(std::string_view value) {
  size_t slash = value.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view total = value.substr(slash + 1);
  if (total.empty() || total.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : total) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

AzureBlobReader::AzureBlobReader(AzureClient& client, std::string blob, ByteRange range)
    : client_(client), blob_(std::move(blob)), chunk_size_(client.options().read_chunk_size) {
  const uint64_t want = range.length.value_or(std::numeric_limits<uint64_t>::max());
  std::optional<uint64_t> size;
  uint64_t first = std::min<uint64_t>(want, chunk_size_);
  if (first == 0) {
    // An empty range still checks that the blob exists and reads its metadata.
    ReadProperties(nullptr);
    end_ = fetched_to_ = range.offset;
    return;
  }
  current_ = FetchChunk(range.offset, first, &size);
  uint64_t object_size = size.value_or(0);
  uint64_t start = std::min(range.offset, object_size);
  end_ = want >= object_size - start ? object_size : start + want;
  fetched_to_ = range.offset + current_.size();
  if (current_.size() > end_ - std::min(end_, range.offset)) {
    current_.resize(static_cast<size_t>(end_ - std::min(end_, range.offset)));
  }
}

void AzureBlobReader::ReadProperties(std::optional<uint64_t>* object_size) {
  AzureCall call;
  call.op = "Get Blob Properties";
  call.method = "HEAD";
  call.blob = blob_;
  net::HttpResponse response;
  try {
    response = client_.SendWithRetries(call);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(ErrorCode::kNotFound, fmt::format("object {} not found", client_.Uri(blob_)));
  }
  metadata_ = UserMetadata(response);
  if (auto etag = response.Header("etag")) etag_ = std::string(*etag);
  if (object_size != nullptr) {
    auto length_header = response.Header("content-length");
    *object_size = length_header ? TotalFromContentRange(fmt::format("/{}", *length_header))
                                 : std::optional<uint64_t>(0);
  }
}

std::string AzureBlobReader::FetchChunk(uint64_t offset, uint64_t length,
                                        std::optional<uint64_t>* object_size) {
  std::string data;
  data.reserve(static_cast<size_t>(length));  // one allocation: the chunk bounds the memory
  bool empty_blob = false;
  client_.Retry([&] {
    AzureCall call;
    call.op = "Get Blob";
    call.method = "GET";
    call.blob = blob_;
    const uint64_t from = offset + data.size();
    call.headers.emplace_back("x-ms-range",
                              fmt::format("bytes={}-{}", from, offset + length - 1));
    if (!etag_.empty()) call.headers.emplace_back("If-Match", etag_);
    // 416: the range starts at or past the end (an empty blob, or an offset beyond it).
    call.ok_statuses = {200, 206, 416};
    ++client_.stats().ranged_gets;
    net::HttpResponse response;
    try {
      response = client_.Send(
          call, [&](ConstByteSpan bytes) {
            data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          },
          [&](const net::HttpResponse& head) {
            if (etag_.empty()) {
              if (auto etag = head.Header("etag")) etag_ = std::string(*etag);
              metadata_ = UserMetadata(head);
              if (object_size != nullptr) {
                if (auto range = head.Header("content-range")) {
                  *object_size = TotalFromContentRange(*range);
                } else if (auto length_header = head.Header("content-length")) {
                  *object_size = TotalFromContentRange(fmt::format("/{}", *length_header));
                }
              }
            }
          });
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNotFound) {
        throw Error(ErrorCode::kNotFound, fmt::format("object {} not found", client_.Uri(blob_)));
      }
      if (e.code() == ErrorCode::kProtocol &&
          std::string_view(e.what()).find("HTTP 412") != std::string_view::npos) {
        throw Error(ErrorCode::kProtocol,
                    fmt::format("object {} changed while it was read", client_.Uri(blob_)));
      }
      throw;
    }
    if (response.status == 416) {
      empty_blob = true;
      return;
    }
    if (data.size() < length && response.status == 206) {
      // A short 206 is the end of the blob, unless the transfer broke (then Perform threw).
      return;
    }
  });
  if (empty_blob) {
    // No body and no metadata in a 416: ask for the properties.
    if (etag_.empty()) ReadProperties(object_size);
    return {};
  }
  return data;
}

size_t AzureBlobReader::Read(ByteSpan dst) {
  if (dst.empty()) return 0;
  while (pos_ == current_.size()) {
    if (fetched_to_ >= end_) return 0;
    current_ = FetchChunk(fetched_to_, std::min<uint64_t>(chunk_size_, end_ - fetched_to_), nullptr);
    pos_ = 0;
    if (current_.empty()) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("object {} ended early, at byte {}", client_.Uri(blob_), fetched_to_),
                  /*retryable=*/true);
    }
    fetched_to_ += current_.size();
  }
  size_t n = std::min(dst.size(), current_.size() - pos_);
  std::memcpy(dst.data(), current_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace walnut::azure
