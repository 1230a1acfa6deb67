#include "storage/chunk_prefetcher.h"

#include <algorithm>
#include <cstring>
#include <exception>

namespace walnut {

ChunkPrefetcher::ChunkPrefetcher(FetchChunk fetch, uint64_t chunk_size)
    : fetch_(std::move(fetch)), chunk_size_(chunk_size) {}

ChunkPrefetcher::~ChunkPrefetcher() {
  cancel_.request_stop();
  if (next_.valid()) {
    try {
      next_.get();
    } catch (const std::exception&) {
      // The reader is being dropped; a failed prefetch no longer matters.
    }
  }
}

void ChunkPrefetcher::Start(std::string first, uint64_t offset, uint64_t end) {
  current_ = std::move(first);
  pos_ = 0;
  end_ = end;
  fetched_to_ = offset + current_.size();
  FetchNext();
}

void ChunkPrefetcher::FetchNext() {
  if (fetched_to_ >= end_) return;
  uint64_t offset = fetched_to_;
  uint64_t length = std::min<uint64_t>(chunk_size_, end_ - offset);
  fetched_to_ = offset + length;
  next_ = std::async(std::launch::async, [this, offset, length] {
    return fetch_(offset, length, cancel_.get_token());
  });
}

size_t ChunkPrefetcher::Read(ByteSpan dst) {
  if (dst.empty()) return 0;
  while (pos_ == current_.size()) {
    if (!next_.valid()) return 0;
    current_ = next_.get();
    pos_ = 0;
    FetchNext();
  }
  size_t n = std::min(dst.size(), current_.size() - pos_);
  std::memcpy(dst.data(), current_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace walnut
