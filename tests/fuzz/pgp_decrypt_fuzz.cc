// Two ways into OpenPGP decryption (librnp behind pgp_crypter's coroutine) with a fixed key:
//  - decrypt: arbitrary bytes must decrypt or throw walnut::Error, never crash, hang or overrun;
//  - round trip: the input is plaintext, encrypted with fuzzed write sizes, then decrypted intact;
//    after one fuzzed bit flip or cut of the ciphertext, decryption must fail (kCorruption) or
//    give back exactly the plaintext. The second happens: librnp reads a packet whose length
//    header was raised past the end of the input up to that end, and the MDC then proves the
//    content whole. What must never happen is other content without an error. (Bytes appended
//    after a complete message are ignored by design: docs/openpgp.md.)
// The key is a throwaway ed25519/cv25519 key made with gpg for this target only.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "io/memory_stream.h"
#include "pipeline/crypto/pgp_crypter.h"

namespace {

constexpr char kFuzzKey[] =
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
    "\n"
    "lFgEaxbvJhYJKwYBBAHaRw8BAQdAkFJQovrPm6SWNBW5gNz+mL8gc3MjVqVKD172\n"
    "U3DH4OUAAQChvhWd3cIcmxpS983e74Fq2fb3vlztDURiy955asR35xN+tCFXYWxu\n"
    "dXQgRnV6eiA8ZnV6ekB3YWxudXQuaW52YWxpZD6IkAQTFggAOBYhBODDNzdq2RsA\n"
    "Ue6h5TzTEOmsXAMcBQJrFu8mAhsjBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJ\n"
    "EDzTEOmsXAMcTRkBALO7dQ+Up2PEwxw6nhhE12gMVoO7Ropmaaj/hL77hiJtAQDw\n"
    "G21BjB+51PBP1oV85tXOoUSuKoD1Ed6cgp56DY08C5xdBGsW7yYSCisGAQQBl1UB\n"
    "BQEBB0DAoIxX+NTAAaWAlXQ8Cxx2LLeyae4wChf6DFE9NgT7fQMBCAcAAP936JX7\n"
    "i7OaqHYQmm+FCmUOKwhJiWTf42n5DeSNjy0KQBAQiHgEGBYIACAWIQTgwzc3atkb\n"
    "AFHuoeU80xDprFwDHAUCaxbvJgIbDAAKCRA80xDprFwDHEk6AP9Q+2oeiwVyD3MZ\n"
    "FZdSeCOM+05Y6Gg32b5kCtzOdSA2GwD9EV7qEPY2OfP+qZxd26IZJ0eOrXtjs3g8\n"
    "rAvWQ4vX5Ao=\n"
    "=3UyU\n"
    "-----END PGP PRIVATE KEY BLOCK-----\n";

const walnut::PgpCrypter& Crypter() {
  static const walnut::PgpCrypter crypter(walnut::pgp::PgpKeyring::Load(kFuzzKey, "fuzz"),
                                          std::nullopt, "fuzz");
  return crypter;
}

constexpr size_t kSizes[] = {1, 7, 100, 8191, 8192, 65536, 262144, 300000};

std::string Decrypt(std::string input, size_t read_size) {
  auto reader = Crypter().WrapDecrypt(std::make_unique<walnut::MemoryReader>(input));
  std::string out;
  std::string buffer(read_size, '\0');
  while (size_t n = reader->Read(walnut::AsWritableBytes(buffer))) {
    out.append(buffer.data(), n);
    // gpg's own messages may be compressed; 1000x is beyond what deflate or bzip2 reach here.
    if (out.size() > 1000 * input.size() + (1 << 20)) __builtin_trap();
  }
  return out;
}

// Whether decrypting `cipher` fails, or gives back exactly `plain`.
bool RejectedOrIntact(const std::string& cipher, const std::string& plain, size_t read_size) {
  try {
    return Decrypt(cipher, read_size) == plain;
  } catch (const walnut::Error& e) {
    if (e.code() != walnut::ErrorCode::kCorruption) __builtin_trap();
    return true;
  }
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
  if (mutation % 2 == 0) {
    bad[at] = static_cast<char>(bad[at] ^ (1 << (mutation % 8)));
  } else {
    bad.resize(at);
  }
  if (!RejectedOrIntact(bad, payload, read_size)) __builtin_trap();
  return 0;
}
