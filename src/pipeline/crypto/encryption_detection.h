#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "io/reader.h"

namespace walnut {

// Telling an encrypted object from a damaged one when no key is configured.
//
// The bytes cannot tell: WAL-G's libsodium framing starts with crypto_secretstream's 24-byte
// header, which is random, and continues with ciphertext, so an encrypted object looks like
// compressed data (brotli and "none" have no magic number at all, and a missing lz4 or zstd magic
// is also what a damaged first block looks like). What is reliable is what the uploader recorded:
// Walnut keeps the crypter's name (or "none") with every object it writes through the pipeline.
// For objects without the record (written by WAL-G), a decoding failure while no key is set
// can only be reported with the possibility of encryption named.

// The object-metadata name under which Walnut records how an object's stored bytes were
// encrypted: the crypter's name ("libsodium"), or kNoEncryption.
inline constexpr const char* kEncryptionMetadata = "walnut-encryption";
inline constexpr std::string_view kNoEncryption = "none";

// What a reader without a key can tell about an object's encryption.
enum class EncryptionEvidence {
  kNotEncrypted,  // the uploader recorded that it did not encrypt
  kEncrypted,     // the uploader recorded a crypter
  kUnknown,       // nothing recorded: WAL-G's objects
};

// What the uploader's record in `metadata` says (only it counts, see above); for kEncrypted,
// `crypter_name` (when not null) gets the crypter's name ("libsodium").
EncryptionEvidence RecordedEncryption(const std::map<std::string, std::string>& metadata,
                                      std::string* crypter_name = nullptr);

// Passes `next` through; a kCorruption error from it (a decoder failing on what may be
// ciphertext) is rethrown with "; <hint>" appended, keeping its code. Not thread-safe.
std::unique_ptr<Reader> WithDecodeFailureHint(std::unique_ptr<Reader> next, std::string hint);

}  // namespace walnut
