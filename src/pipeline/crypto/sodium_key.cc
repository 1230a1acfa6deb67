#include "pipeline/crypto/sodium_key.h"

#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <sodium.h>

#include "common/error.h"
#include "pipeline/crypto/key_file.h"

namespace walnut {
namespace {

// WAL-G's minimalKeyLength for transform none (internal/crypto/libsodium/crypter.go).
constexpr size_t kMinimalRawKeyLength = 25;
// A key file holds one key; anything this large is the wrong file.
constexpr size_t kMaxKeyFileSize = 64 * 1024;

// Zeroes a buffer that held key material when it goes out of scope.
template <typename Buffer>
class ScopedWipe {
 public:
  explicit ScopedWipe(Buffer& buffer) : buffer_(buffer) {}
  ~ScopedWipe() { sodium_memzero(buffer_.data(), buffer_.size()); }
  ScopedWipe(const ScopedWipe&) = delete;
  ScopedWipe& operator=(const ScopedWipe&) = delete;

 private:
  Buffer& buffer_;
};

[[noreturn]] void ThrowInvalid(std::string_view setting_name, std::string_view rule) {
  throw Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", setting_name, rule));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's hex.DecodeString: either case, even length, nothing else.
std::optional<std::vector<unsigned char>> DecodeHex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::vector<unsigned char> out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = HexValue(text[i]);
    int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) {
      sodium_memzero(out.data(), out.size());
      return std::nullopt;
    }
    out.push_back(static_cast<unsigned char>(hi << 4 | lo));
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Go's base64.StdEncoding.DecodeString: the standard alphabet, '=' padding required, CR and LF
// ignored, unused low bits of the last quantum not checked.
std::optional<std::vector<unsigned char>> DecodeBase64(std::string_view text) {
  std::string clean;
  ScopedWipe wipe_clean(clean);
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '\r' && c != '\n') clean += c;
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out;
  out.reserve(clean.size() / 4 * 3);
  for (size_t i = 0; i < clean.size(); i += 4) {
    bool last = i + 4 == clean.size();
    size_t padding = 0;
    if (last && clean[i + 3] == '=') padding = clean[i + 2] == '=' ? 2 : 1;
    uint32_t quantum = 0;
    for (size_t j = 0; j < 4; ++j) {
      int v = j < 4 - padding ? Base64Value(clean[i + j]) : 0;
      if (v < 0) {
        sodium_memzero(out.data(), out.size());
        return std::nullopt;
      }
      quantum = quantum << 6 | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<unsigned char>(quantum >> 16));
    if (padding < 2) out.push_back(static_cast<unsigned char>(quantum >> 8));
    if (padding < 1) out.push_back(static_cast<unsigned char>(quantum));
  }
  return out;
}

SodiumKey KeyFromDecoded(std::vector<unsigned char>& decoded, std::string_view transform_name,
                         std::string_view setting_name) {
  ScopedWipe wipe_decoded(decoded);
  if (decoded.size() != SodiumKey::kSize) {
    ThrowInvalid(setting_name,
                 fmt::format("the key must decode to exactly {} bytes with key transform {} (got "
                             "{} bytes); set WALG_LIBSODIUM_KEY_TRANSFORM to match the key",
                             SodiumKey::kSize, transform_name, decoded.size()));
  }
  std::array<unsigned char, SodiumKey::kSize> bytes;
  ScopedWipe wipe_bytes(bytes);
  std::memcpy(bytes.data(), decoded.data(), bytes.size());
  return SodiumKey(bytes);
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

std::optional<SodiumKeyTransform> SodiumKeyTransformFromName(std::string_view name) {
  if (name.empty() || name == "none") return SodiumKeyTransform::kNone;
  if (name == "hex") return SodiumKeyTransform::kHex;
  if (name == "base64") return SodiumKeyTransform::kBase64;
  return std::nullopt;
}

SodiumKey::~SodiumKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

SodiumKey LoadSodiumKey(std::string_view material, SodiumKeyTransform transform,
                        std::string_view setting_name) {
  if (material.empty()) ThrowInvalid(setting_name, "the key is empty");
  switch (transform) {
    case SodiumKeyTransform::kNone: {
      // WAL-G's legacy rule: the bytes of the text, cut to 32 or padded with zero bytes.
      if (material.size() < kMinimalRawKeyLength) {
        ThrowInvalid(setting_name,
                     fmt::format("the key must be at least {} bytes long with key transform none "
                                 "(got {}); use a random 32-byte key, or a hex or base64 key with "
                                 "WALG_LIBSODIUM_KEY_TRANSFORM",
                                 kMinimalRawKeyLength, material.size()));
      }
      std::array<unsigned char, SodiumKey::kSize> bytes{};
      ScopedWipe wipe_bytes(bytes);
      std::memcpy(bytes.data(), material.data(), std::min(material.size(), bytes.size()));
      return SodiumKey(bytes);
    }
    case SodiumKeyTransform::kHex: {
      auto decoded = DecodeHex(material);
      if (!decoded) {
        ThrowInvalid(setting_name,
                     "the key is not valid hex with key transform hex; expected 64 hexadecimal "
                     "digits");
      }
      return KeyFromDecoded(*decoded, "hex", setting_name);
    }
    case SodiumKeyTransform::kBase64: {
      auto decoded = DecodeBase64(material);
      if (!decoded) {
        ThrowInvalid(setting_name,
                     "the key is not valid base64 with key transform base64; expected 44 "
                     "characters of standard base64 ending in '='");
      }
      return KeyFromDecoded(*decoded, "base64", setting_name);
    }
  }
  throw Error(ErrorCode::kInternal, fmt::format("{}: unknown key transform", setting_name));
}

SodiumKey LoadSodiumKeyFile(const std::string& path, SodiumKeyTransform transform,
                            std::string_view setting_name) {
  SecretString contents = ReadKeyFile(path, setting_name, kMaxKeyFileSize, "the key");
  // Go's strings.TrimSpace also trims non-ASCII Unicode spaces; no key file carries those.
  std::string_view text = contents.Reveal();
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  if (text.empty()) ThrowInvalid(setting_name, fmt::format("key file {} is empty", path));
  return LoadSodiumKey(text, transform, setting_name);
}

}  // namespace walnut
