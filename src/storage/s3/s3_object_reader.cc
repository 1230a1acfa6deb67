#include "storage/s3/s3_object_reader.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "common/logging.h"

namespace walnut::s3 {

namespace {

struct ContentRange {
  uint64_t first = 0;
  uint64_t total = 0;
};

// "Content-Range: bytes 0-9/1234"; nullopt when absent, malformed or of unknown total ("/*").
std::optional<ContentRange> ParseContentRange(std::optional<std::string_view> header) {
  if (!header || !header->starts_with("bytes ")) return std::nullopt;
  std::string_view v = header->substr(6);
  auto dash = v.find('-');
  auto slash = v.rfind('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  auto number = [](std::string_view s) -> std::optional<uint64_t> {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
  };
  auto first = number(v.substr(0, dash));
  auto total = number(v.substr(slash + 1));
  if (!first || !total) return std::nullopt;
  return ContentRange{*first, *total};
}

// Thrown from the transfer callbacks once a chunk has all its bytes, to end the transfer early:
// s3rver answers "Range: bytes=0-0" with the whole object, and an empty object's ranged GET with
// a body it never sends.
struct ChunkComplete {};

std::optional<uint64_t> ParseLength(std::optional<std::string_view> header) {
  if (!header) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(header->data(), header->data() + header->size(), value);
  if (ec != std::errc() || end != header->data() + header->size()) return std::nullopt;
  return value;
}

}  // namespace

S3ObjectReader::S3ObjectReader(S3Client& client, std::string full_key, ByteRange range)
    : client_(client),
      key_(std::move(full_key)),
      prefetcher_(
          [this](uint64_t offset, uint64_t length, std::stop_token stop) {
            return FetchChunk(offset, length, nullptr, stop);
          },
          client.options().read_chunk_size) {
  Open(range);
}

void S3ObjectReader::ThrowNotFound() const {
  throw Error(ErrorCode::kNotFound, fmt::format("object {} not found", client_.Uri(key_)));
}

void S3ObjectReader::Open(ByteRange range) {
  if (range.length && *range.length == 0) {
    // Nothing to read, but a missing object must still be reported.
    try {
      metadata_ = UserMetadata(client_.SendWithRetries(HeadObjectCall(key_)));
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNotFound) ThrowNotFound();
      throw;
    }
    prefetcher_.Start(std::string(), range.offset, range.offset);
    return;
  }
  uint64_t want = client_.options().read_chunk_size;
  if (range.length) want = std::min<uint64_t>(want, *range.length);
  std::optional<uint64_t> object_size;
  std::string first;
  try {
    first = FetchChunk(range.offset, want, &object_size, std::stop_token());
    // A 416 (the range starts at or past the end, e.g. of an empty object) carries no metadata.
    if (!has_metadata_) {
      metadata_ = UserMetadata(client_.SendWithRetries(HeadObjectCall(key_)));
    }
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) ThrowNotFound();
    throw;
  }
  // Without a size (416: the range starts at or past the end) there is nothing to read.
  uint64_t end = object_size ? std::max(*object_size, range.offset) : range.offset;
  if (range.length) end = std::min(end, range.offset + *range.length);
  prefetcher_.Start(std::move(first), range.offset, end);
}

std::string S3ObjectReader::FetchChunk(uint64_t offset, uint64_t length,
                                       std::optional<uint64_t>* object_size, std::stop_token stop) {
  // object_size is set only for the first chunk, which runs before any prefetch thread exists:
  // it alone writes etag_.
  const bool first = object_size != nullptr;
  std::string data;
  data.reserve(static_cast<size_t>(length));
  std::string what =
      fmt::format("s3 GetObject {} bytes {}-{}", client_.Uri(key_), offset, offset + length - 1);
  uint64_t expected = length;
  bool at_end = false;
  client_.Retry([&] {
    if (stop.stop_requested()) {
      throw Error(ErrorCode::kCancelled, fmt::format("{} cancelled", what));
    }
    if (data.size() == expected || at_end) return;
    uint64_t from = offset + data.size();
    S3Call call;
    call.op = "GetObject";
    call.method = "GET";
    call.key = key_;
    call.object_content = true;
    call.stop = stop;
    call.headers.emplace_back("Range", fmt::format("bytes={}-{}", from, offset + length - 1));
    if (!etag_.empty()) call.headers.emplace_back("If-Match", etag_);
    // 416 (first chunk only): the range starts at or past the end of the object.
    ++client_.stats().ranged_gets;
    auto on_headers = [&](const net::HttpResponse& r) {
      if (first && etag_.empty()) {
        if (auto etag = r.Header("etag")) etag_ = std::string(*etag);
      }
      if (first) {
        metadata_ = UserMetadata(r);
        has_metadata_ = true;
      }
      uint64_t total = 0;
      if (r.status == 200) {
        // The server ignored Range and sends the whole object: usable only from offset 0 and
        // when it fits into the chunk, else memory would not be bounded.
        auto content_length = ParseLength(r.Header("content-length"));
        if (!content_length) {
          throw Error(ErrorCode::kProtocol,
                      fmt::format("{}: 200 response without a valid Content-Length", what),
                      /*retryable=*/true);
        }
        if (from != 0 || *content_length > length) {
          throw Error(ErrorCode::kProtocol,
                      fmt::format("{}: the server ignored the Range header", what));
        }
        total = *content_length;
      } else {
        auto range = ParseContentRange(r.Header("content-range"));
        if (!range || (range->first != from && range->total != 0)) {
          throw Error(ErrorCode::kProtocol,
                      fmt::format("{}: 206 response with a bad Content-Range '{}'", what,
                                  r.Header("content-range").value_or("")),
                      /*retryable=*/true);
        }
        total = range->total;
      }
      if (first) {
        *object_size = total;
        expected = std::min(length, total - std::min(total, offset));
      }
      if (data.size() == expected) throw ChunkComplete{};
    };
    auto sink = [&](ConstByteSpan piece) {
      if (stop.stop_requested()) {
        throw Error(ErrorCode::kCancelled, fmt::format("{} cancelled", what));
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(piece.size(), expected - data.size()));
      data.append(AsChars(piece.first(take)));
      if (data.size() == expected) throw ChunkComplete{};
    };
    call.ok_statuses = {200, 206};
    if (first) call.ok_statuses.insert(416);
    if (!etag_.empty()) call.ok_statuses.insert(412);
    net::HttpResponse response;
    try {
      response = client_.Send(call, sink, on_headers);
    } catch (const ChunkComplete&) {
      return;
    }
    if (response.status == 412) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("object {} changed while it was being read (its ETag is no longer "
                              "{}); read it again",
                              client_.Uri(key_), etag_));
    }
    if (response.status == 416) {
      at_end = true;
      return;
    }
    // A response that ended early without a transport error (a server closing cleanly).
    if (data.size() < expected) {
      throw Error(
          ErrorCode::kNetwork,
          fmt::format("{}: the response ended after {} of {} bytes", what, data.size(), expected),
          true);
    }
  });
  return data;
}

}  // namespace walnut::s3
