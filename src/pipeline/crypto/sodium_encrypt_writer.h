#pragma once

#include <array>
#include <memory>

#include "io/writer.h"
#include "pipeline/crypto/sodium_format.h"
#include "pipeline/crypto/sodium_key.h"

namespace walnut {

// Encrypts into `next` in WAL-G's libsodium format (sodium_format.h). Holds one plaintext chunk and
// one ciphertext chunk, whatever the stream size. Not thread-safe.
class SodiumEncryptWriter : public Writer {
 public:
  SodiumEncryptWriter(const SodiumKey& key, std::unique_ptr<Writer> next);
  ~SodiumEncryptWriter() override;
  SodiumEncryptWriter(const SodiumEncryptWriter&) = delete;
  SodiumEncryptWriter& operator=(const SodiumEncryptWriter&) = delete;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  enum class State { kOpen, kClosed, kFailed, kAborted };

  void CheckOpen(const char* operation) const;
  void WriteHeaderOnce();
  void PushChunk(const unsigned char* plain, size_t size, unsigned char tag);

  std::unique_ptr<Writer> next_;
  crypto_secretstream_xchacha20poly1305_state stream_;
  std::array<unsigned char, sodium_format::kHeaderSize> header_;
  bool header_written_ = false;
  std::array<unsigned char, sodium_format::kChunkSize> plain_;
  size_t buffered_ = 0;  // bytes of plain_ in use
  std::array<unsigned char, sodium_format::kCipherChunkSize> cipher_;
  State state_ = State::kOpen;
};

}  // namespace walnut
