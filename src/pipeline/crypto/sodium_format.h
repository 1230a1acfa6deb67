#pragma once

#include <sodium.h>

#include <cstddef>

namespace walnut::sodium_format {

// WAL-G's libsodium object format (internal/crypto/libsodium/{writer,reader}.go):
//   header (24 bytes) | chunk ... | final chunk
// using crypto_secretstream_xchacha20poly1305 without additional data. Every chunk but the last
// holds exactly kChunkSize plaintext bytes pushed with tag 0 (MESSAGE); the last holds the rest,
// 0 to kChunkSize - 1 bytes, pushed with TAG_FINAL. Readers consume fixed kCipherChunkSize pieces,
// so the chunk size is part of the format and must never change.
inline constexpr size_t kKeySize = crypto_secretstream_xchacha20poly1305_KEYBYTES;
inline constexpr size_t kHeaderSize = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
inline constexpr size_t kOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;
inline constexpr size_t kChunkSize = 8192;
inline constexpr size_t kCipherChunkSize = kChunkSize + kOverhead;

static_assert(kKeySize == 32 && kHeaderSize == 24 && kOverhead == 17, "wal-g framing constants");

// Calls sodium_init() once per process (thread-safe); throws kInternal if libsodium cannot start
// (no usable entropy source).
void EnsureSodiumInitialized();

}  // namespace walnut::sodium_format
