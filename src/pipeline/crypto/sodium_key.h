#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace walnut {

// How WALG_LIBSODIUM_KEY(_PATH) text becomes the 32 key bytes (WALG_LIBSODIUM_KEY_TRANSFORM).
enum class SodiumKeyTransform {
  kNone,    // the raw bytes: at least 25, cut to 32 or zero-padded to 32 (WAL-G's legacy rule)
  kHex,     // hex that decodes to exactly 32 bytes
  kBase64,  // standard base64 with padding that decodes to exactly 32 bytes
};

// "none", "hex", "base64" (case-sensitive, as WAL-G); "" means the default, none. nullopt for
// anything else: the caller reports the setting.
std::optional<SodiumKeyTransform> SodiumKeyTransformFromName(std::string_view name);

// A 32-byte libsodium key. It zeroes its bytes (sodium_memzero) when destroyed and has no way to
// be printed or formatted. Copies are independent and zero themselves too. Thread-compatible.
class SodiumKey {
 public:
  static constexpr size_t kSize = 32;

  explicit SodiumKey(const std::array<unsigned char, kSize>& bytes) : bytes_(bytes) {}
  SodiumKey(const SodiumKey& other) = default;
  SodiumKey& operator=(const SodiumKey& other) = default;
  ~SodiumKey();

  // For libsodium calls only.
  const unsigned char* data() const { return bytes_.data(); }

 private:
  std::array<unsigned char, kSize> bytes_;
};

// Builds the key from `material`, the text of WALG_LIBSODIUM_KEY (used as is) or the already
// trimmed contents of the WALG_LIBSODIUM_KEY_PATH file, by WAL-G's rules for `transform`.
// Throws kInvalidArgument naming `setting_name` and the rule broken; never the key material.
SodiumKey LoadSodiumKey(std::string_view material, SodiumKeyTransform transform,
                        std::string_view setting_name);

// Reads the key file at `path` (WALG_LIBSODIUM_KEY_PATH), trims surrounding whitespace as WAL-G
// does, and calls LoadSodiumKey. Throws kNotFound / kPermissionDenied / kIo naming the setting
// and path when the file cannot be read, kInvalidArgument as LoadSodiumKey.
SodiumKey LoadSodiumKeyFile(const std::string& path, SodiumKeyTransform transform,
                            std::string_view setting_name);

}  // namespace walnut
