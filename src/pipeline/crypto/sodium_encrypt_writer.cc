#include "pipeline/crypto/sodium_encrypt_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace walnut {

using sodium_format::kChunkSize;

SodiumEncryptWriter::SodiumEncryptWriter(const SodiumKey& key, std::unique_ptr<Writer> next)
    : next_(std::move(next)) {
  if (!next_) throw Error(ErrorCode::kInternal, "libsodium: encrypting writer without downstream");
  sodium_format::EnsureSodiumInitialized();
  // Picks a random header (nonce); it goes out with the first Write() or Close().
  if (crypto_secretstream_xchacha20poly1305_init_push(&stream_, header_.data(), key.data()) != 0) {
    throw Error(ErrorCode::kInternal, "libsodium: cannot start an encryption stream");
  }
}

SodiumEncryptWriter::~SodiumEncryptWriter() {
  if (state_ != State::kClosed && state_ != State::kAborted) Abort();
  sodium_memzero(&stream_, sizeof stream_);
  sodium_memzero(plain_.data(), plain_.size());
}

void SodiumEncryptWriter::CheckOpen(const char* operation) const {
  if (state_ != State::kOpen) {
    throw Error(
        ErrorCode::kInternal,
        fmt::format("libsodium: {} on an encrypting writer that is no longer open", operation));
  }
}

void SodiumEncryptWriter::WriteHeaderOnce() {
  if (header_written_) return;
  next_->Write(ConstByteSpan(reinterpret_cast<const std::byte*>(header_.data()), header_.size()));
  header_written_ = true;
}

void SodiumEncryptWriter::PushChunk(const unsigned char* plain, size_t size, unsigned char tag) {
  unsigned long long cipher_size = 0;
  if (crypto_secretstream_xchacha20poly1305_push(&stream_, cipher_.data(), &cipher_size, plain,
                                                 size, nullptr, 0, tag) != 0) {
    throw Error(ErrorCode::kInternal, "libsodium: encryption of a chunk failed");
  }
  next_->Write(ConstByteSpan(reinterpret_cast<const std::byte*>(cipher_.data()),
                             static_cast<size_t>(cipher_size)));
}

void SodiumEncryptWriter::Write(ConstByteSpan src) {
  CheckOpen("write");
  state_ = State::kFailed;  // until this call returns normally
  WriteHeaderOnce();
  const auto* data = reinterpret_cast<const unsigned char*>(src.data());
  size_t left = src.size();
  while (left > 0) {
    // WAL-G pushes a chunk as soon as 8192 bytes are buffered, even if no more data follows (the
    // final chunk is then empty), so full chunks go out here and never wait for Close().
    if (buffered_ == 0 && left >= kChunkSize) {
      PushChunk(data, kChunkSize, 0);
      data += kChunkSize;
      left -= kChunkSize;
      continue;
    }
    size_t n = std::min(left, kChunkSize - buffered_);
    std::memcpy(plain_.data() + buffered_, data, n);
    buffered_ += n;
    data += n;
    left -= n;
    if (buffered_ == kChunkSize) {
      PushChunk(plain_.data(), kChunkSize, 0);
      buffered_ = 0;
    }
  }
  state_ = State::kOpen;
}

void SodiumEncryptWriter::Close() {
  CheckOpen("close");
  state_ = State::kFailed;
  WriteHeaderOnce();
  PushChunk(plain_.data(), buffered_, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  buffered_ = 0;
  next_->Close();
  state_ = State::kClosed;
}

void SodiumEncryptWriter::Abort() noexcept {
  if (state_ == State::kAborted) return;
  state_ = State::kAborted;
  next_->Abort();
}

}  // namespace walnut
