#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "common/error.h"
#include "io/memory_stream.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_format.h"
#include "support/test_util.h"

namespace walnut::testing {

inline constexpr char kTestKeyHex[] =
    "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
inline constexpr char kOtherKeyHex[] =
    "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8fa";

inline SodiumKey HexKey(const char* hex) {
  return LoadSodiumKey(hex, SodiumKeyTransform::kHex, "WALG_LIBSODIUM_KEY");
}

// Records what reaches the end of a chain and how it ended; can fail on the nth Write().
class RecordingWriter : public Writer {
 public:
  struct Log {
    std::string data;
    int writes = 0;
    bool closed = false;
    bool aborted = false;
  };
  explicit RecordingWriter(std::shared_ptr<Log> log, int fail_on_write = -1)
      : log_(std::move(log)), fail_on_write_(fail_on_write) {}
  void Write(ConstByteSpan src) override {
    if (log_->writes++ == fail_on_write_) {
      throw Error(ErrorCode::kNetwork, "injected failure", true);
    }
    log_->data.append(AsChars(src));
  }
  void Close() override { log_->closed = true; }
  void Abort() noexcept override { log_->aborted = true; }

 private:
  std::shared_ptr<Log> log_;
  int fail_on_write_;
};

// Hands out its data at most `max_piece` bytes per Read(), like a socket.
class TrickleReader : public Reader {
 public:
  TrickleReader(std::string data, size_t max_piece) : data_(std::move(data)), max_(max_piece) {}
  size_t Read(ByteSpan dst) override {
    size_t n = std::min({dst.size(), max_, data_.size() - pos_});
    std::memcpy(dst.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t max_;
  size_t pos_ = 0;
};

inline std::string Encrypt(const Crypter& crypter, const std::string& plain,
                           size_t max_chunk = 100000, uint64_t seed = 7) {
  auto sink = std::make_unique<MemoryWriter>();
  MemoryWriter* out = sink.get();
  auto writer = crypter.WrapEncrypt(std::move(sink));
  WriteInRandomChunks(*writer, plain, max_chunk, seed);
  return out->data();
}

inline std::string Decrypt(const Crypter& crypter, const std::string& cipher,
                           size_t max_chunk = 100000, uint64_t seed = 9) {
  auto reader = crypter.WrapDecrypt(std::make_unique<MemoryReader>(cipher));
  return ReadInRandomChunks(*reader, max_chunk, seed);
}

// The exact ciphertext size of WAL-G's framing for `plain_size` bytes.
inline size_t CipherSize(size_t plain_size) {
  using namespace sodium_format;
  return kHeaderSize + plain_size / kChunkSize * kCipherChunkSize + plain_size % kChunkSize +
         kOverhead;
}

}  // namespace walnut::testing
