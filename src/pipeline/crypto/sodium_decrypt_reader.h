#pragma once

#include <array>
#include <memory>

#include "io/reader.h"
#include "pipeline/crypto/sodium_format.h"
#include "pipeline/crypto/sodium_key.h"

namespace walnut {

// Decrypts WAL-G's libsodium format (sodium_format.h) from `next`. The header is read on the first
// Read(), not at construction, so the upstream may still be filling. Every failure is kCorruption:
// an unauthentic chunk (wrong key, flipped bits), a stream that ends before its final chunk, or
// bytes after it. Holds one ciphertext chunk and one plaintext chunk. Not thread-safe.
class SodiumDecryptReader : public Reader {
 public:
  SodiumDecryptReader(const SodiumKey& key, std::unique_ptr<Reader> next);
  ~SodiumDecryptReader() override;
  SodiumDecryptReader(const SodiumDecryptReader&) = delete;
  SodiumDecryptReader& operator=(const SodiumDecryptReader&) = delete;

  size_t Read(ByteSpan dst) override;

 private:
  void ReadHeader();
  // Reads, authenticates and decrypts the next chunk into `out` (kChunkSize bytes of room);
  // returns the plaintext size.
  size_t DecryptChunk(unsigned char* out);

  std::unique_ptr<Reader> next_;
  SodiumKey key_;  // needed until the header arrives
  crypto_secretstream_xchacha20poly1305_state stream_;
  bool header_read_ = false;
  bool final_seen_ = false;  // the TAG_FINAL chunk was authenticated and nothing follows it
  bool failed_ = false;
  std::array<unsigned char, sodium_format::kCipherChunkSize> cipher_;
  std::array<unsigned char, sodium_format::kChunkSize> plain_;
  size_t plain_pos_ = 0;  // plain_[plain_pos_, plain_end_) is decrypted but not yet returned
  size_t plain_end_ = 0;
};

}  // namespace walnut
