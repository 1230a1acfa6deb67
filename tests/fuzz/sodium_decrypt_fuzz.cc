// Two ways into the libsodium reader with a fixed key:
//  - decrypt: arbitrary bytes must decrypt or throw walnut::Error, never crash, hang or overrun;
//  - round trip: the input is plaintext, encrypted with fuzzed write sizes, then decrypted intact,
//    and one fuzzed flip, cut or extension of the ciphertext must be rejected (kCorruption).
//    Random bytes almost never carry a valid tag, so this is what reaches the chunk-boundary and
//    final-chunk logic.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/error.h"
#include "io/memory_stream.h"
#include "pipeline/crypto/sodium_crypter.h"

namespace {

const walnut::SodiumCrypter& Crypter() {
  static const walnut::SodiumCrypter crypter(walnut::LoadSodiumKey(
      "fuzz-key-fuzz-key-fuzz-key-fuzz", walnut::SodiumKeyTransform::kNone, "fuzz"));
  return crypter;
}

constexpr size_t kSizes[] = {1, 7, 100, 8191, 8192, 8193, 8209, 65536};

std::string Decrypt(std::string input, size_t read_size) {
  auto reader = Crypter().WrapDecrypt(std::make_unique<walnut::MemoryReader>(input));
  std::string out;
  std::string buffer(read_size, '\0');
  while (size_t n = reader->Read(walnut::AsWritableBytes(buffer))) {
    out.append(buffer.data(), n);
    if (out.size() > input.size()) __builtin_trap();  // more plaintext than ciphertext
  }
  return out;
}

bool Rejected(const std::string& cipher, size_t read_size) {
  try {
    Decrypt(cipher, read_size);
  } catch (const walnut::Error& e) {
    if (e.code() != walnut::ErrorCode::kCorruption) __builtin_trap();
    return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint8_t mode = data[0];
  const size_t read_size = kSizes[data[1] % std::size(kSizes)];
  const size_t write_size = kSizes[data[2] % std::size(kSizes)];
  const uint8_t mutation = data[3];
  std::string payload(reinterpret_cast<const char*>(data + 4), size - 4);

  if ((mode & 1) == 0) {
    try {
      Decrypt(std::move(payload), read_size);
    } catch (const walnut::Error&) {
    }
    return 0;
  }

  auto sink = std::make_unique<walnut::MemoryWriter>();
  walnut::MemoryWriter* stored = sink.get();
  auto writer = Crypter().WrapEncrypt(std::move(sink));
  for (size_t pos = 0; pos < payload.size(); pos += write_size) {
    writer->Write(walnut::AsBytes(std::string_view(payload).substr(pos, write_size)));
  }
  writer->Close();
  const std::string cipher = stored->data();
  if (Decrypt(cipher, read_size) != payload) __builtin_trap();

  // Position of the damage, spread over the whole ciphertext.
  size_t at = (static_cast<size_t>(mode >> 1) * 131 + mutation * 7919u) % cipher.size();
  std::string bad = cipher;
  switch (mutation % 3) {
    case 0:
      bad[at] = static_cast<char>(bad[at] ^ (1 << (mutation % 8)));
      break;
    case 1:
      bad.resize(at);
      break;
    default:
      bad.append(1 + mutation % 40, static_cast<char>(mode));
      break;
  }
  if (!Rejected(bad, read_size)) __builtin_trap();
  return 0;
}
