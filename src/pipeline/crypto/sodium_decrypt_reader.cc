#include "pipeline/crypto/sodium_decrypt_reader.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace walnut {

using sodium_format::kChunkSize;
using sodium_format::kCipherChunkSize;
using sodium_format::kHeaderSize;
using sodium_format::kOverhead;

namespace {

constexpr const char* kAuthFailed = "libsodium: decryption failed: wrong key or corrupted data";

[[noreturn]] void ThrowCorruption(const std::string& message) {
  throw Error(ErrorCode::kCorruption, message);
}

ByteSpan AsByteSpan(unsigned char* data, size_t size) {
  return ByteSpan(reinterpret_cast<std::byte*>(data), size);
}

}  // namespace

SodiumDecryptReader::SodiumDecryptReader(const SodiumKey& key, std::unique_ptr<Reader> next)
    : next_(std::move(next)), key_(key) {
  if (!next_) throw Error(ErrorCode::kInternal, "libsodium: decrypting reader without upstream");
  sodium_format::EnsureSodiumInitialized();
}

SodiumDecryptReader::~SodiumDecryptReader() {
  sodium_memzero(&stream_, sizeof stream_);
  sodium_memzero(plain_.data(), plain_.size());
}

void SodiumDecryptReader::ReadHeader() {
  std::array<unsigned char, kHeaderSize> header;
  size_t n = ReadFull(*next_, AsByteSpan(header.data(), header.size()));
  if (n == 0)
    ThrowCorruption("libsodium: encrypted stream is empty: the 24-byte header is missing");
  if (n < header.size()) {
    ThrowCorruption("libsodium: encrypted stream is truncated: it ends inside the 24-byte header");
  }
  if (crypto_secretstream_xchacha20poly1305_init_pull(&stream_, header.data(), key_.data()) != 0) {
    ThrowCorruption("libsodium: encrypted stream has an invalid header");
  }
  header_read_ = true;
}

size_t SodiumDecryptReader::DecryptChunk(unsigned char* out) {
  size_t n = ReadFull(*next_, AsByteSpan(cipher_.data(), cipher_.size()));
  if (n == 0) {
    ThrowCorruption("libsodium: encrypted stream is truncated: it ends before the final chunk");
  }
  if (n < kOverhead) {
    ThrowCorruption("libsodium: encrypted stream is truncated: it ends inside a chunk");
  }
  unsigned long long plain_size = 0;
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(&stream_, out, &plain_size, &tag, cipher_.data(),
                                                 n, nullptr, 0) != 0) {
    // A short piece is either a final chunk or the end of a cut-off stream: say both.
    ThrowCorruption(n == kCipherChunkSize
                        ? std::string(kAuthFailed)
                        : std::string(kAuthFailed) + " (or the stream is truncated)");
  }
  if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
    // ReadFull stopped short only at the end of the input; after a full piece, look for more.
    std::byte extra;
    if (n == kCipherChunkSize && next_->Read(ByteSpan(&extra, 1)) != 0) {
      ThrowCorruption("libsodium: encrypted stream has unexpected data after its final chunk");
    }
    final_seen_ = true;
  } else if (n < kCipherChunkSize) {
    ThrowCorruption("libsodium: encrypted stream is truncated: it ends before the final chunk");
  }
  return static_cast<size_t>(plain_size);
}

size_t SodiumDecryptReader::Read(ByteSpan dst) {
  if (failed_) {
    throw Error(ErrorCode::kCorruption, "libsodium: read after a decryption error");
  }
  if (dst.empty()) return 0;
  try {
    if (!header_read_) ReadHeader();
    while (plain_pos_ == plain_end_) {
      if (final_seen_) return 0;
      if (dst.size() >= kChunkSize) {
        // Enough room: decrypt straight into the caller's buffer and skip a copy.
        size_t n = DecryptChunk(reinterpret_cast<unsigned char*>(dst.data()));
        if (n > 0) return n;
        continue;
      }
      plain_pos_ = 0;
      plain_end_ = DecryptChunk(plain_.data());
    }
  } catch (...) {
    failed_ = true;
    throw;
  }
  size_t n = std::min(dst.size(), plain_end_ - plain_pos_);
  std::memcpy(dst.data(), plain_.data() + plain_pos_, n);
  plain_pos_ += n;
  return n;
}

}  // namespace walnut
