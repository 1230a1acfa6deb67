#include "pipeline/crypto/sodium_settings.h"

#include <vector>

#include "common/error.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_key.h"

namespace walnut {

std::span<const SettingSpec> SodiumSettingSpecs() {
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_LIBSODIUM_KEY", SettingKind::kString, "libsodium encryption key")
          .Secret()
          .Implemented(),
      DefineSetting("WALG_LIBSODIUM_KEY_PATH", SettingKind::kString,
                    "file holding the libsodium key")
          .Implemented(),
      DefineSetting("WALG_LIBSODIUM_KEY_TRANSFORM", SettingKind::kEnum,
                    "how the libsodium key text is decoded")
          .Accepts({"none", "hex", "base64"})
          .Default("none")
          .Implemented(),
  };
  return specs;
}

bool SodiumConfigured(const Config& config) {
  return config.Has("WALG_LIBSODIUM_KEY") || config.Has("WALG_LIBSODIUM_KEY_PATH");
}

std::shared_ptr<const Crypter> MakeSodiumCrypter(const Config& config) {
  // Read first, so that the transform counts as read whichever way the key is given.
  std::optional<SodiumKeyTransform> transform =
      SodiumKeyTransformFromName(config.GetEnum("WALG_LIBSODIUM_KEY_TRANSFORM"));
  if (!transform) {
    config.ThrowInvalid("WALG_LIBSODIUM_KEY_TRANSFORM", "accepted values are none, hex, base64");
  }
  bool has_key = config.Has("WALG_LIBSODIUM_KEY");
  bool has_path = config.Has("WALG_LIBSODIUM_KEY_PATH");
  if (has_key && has_path) {
    config.ThrowInvalid("WALG_LIBSODIUM_KEY_PATH",
                        "cannot be combined with WALG_LIBSODIUM_KEY; set only one of them");
  }
  if (has_key) {
    return std::make_shared<SodiumCrypter>(LoadSodiumKey(config.GetString("WALG_LIBSODIUM_KEY"),
                                                         *transform,
                                                         config.SpelledName("WALG_LIBSODIUM_KEY")));
  }
  std::string_view setting = config.SpelledName("WALG_LIBSODIUM_KEY_PATH");
  try {
    return std::make_shared<SodiumCrypter>(
        LoadSodiumKeyFile(config.GetString("WALG_LIBSODIUM_KEY_PATH"), *transform, setting));
  } catch (const Error& e) {
    // A key file that cannot be read is a bad setting (exit 2), not a failure of the command.
    if (e.code() == ErrorCode::kInvalidArgument) throw;
    throw Error(ErrorCode::kInvalidArgument, e.what());
  }
}

}  // namespace walnut
