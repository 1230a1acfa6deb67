#include "pipeline/crypto/pgp_settings.h"

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/secret_string.h"
#include "pipeline/crypto/key_file.h"
#include "pipeline/crypto/pgp_crypter.h"
#include "pipeline/crypto/pgp_gpg_keyring.h"
#include "pipeline/crypto/pgp_rnp.h"

namespace walnut {
namespace {

// A key file holds a keyring; anything this large is the wrong file.
constexpr size_t kMaxKeyFileSize = 4 * 1024 * 1024;

// WAL-G turns the two characters \n of an inline key into a newline, so that an armoured key fits
// on one line of an environment file.
SecretString ExpandNewlines(std::string text) {
  std::string expanded;
  expanded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
      expanded += '\n';
      ++i;
    } else {
      expanded += text[i];
    }
  }
  SecretString wipe_text(std::move(text));
  return SecretString(std::move(expanded));
}

}  // namespace

std::span<const SettingSpec> PgpSettingSpecs() {
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_PGP_KEY", SettingKind::kString,
                    "OpenPGP key, armoured (\\n sequences become newlines): public to push, "
                    "secret to fetch")
          .Secret()
          .Implemented(),
      DefineSetting("WALG_PGP_KEY_PATH", SettingKind::kString,
                    "file holding the OpenPGP key (armoured or binary)")
          .Implemented(),
      DefineSetting("WALG_PGP_KEY_PASSPHRASE", SettingKind::kString,
                    "passphrase of the OpenPGP secret key")
          .Secret()
          .Implemented(),
      DefineSetting("WALG_GPG_KEY_ID", SettingKind::kString,
                    "deprecated: a key of the user's gpg keyring, exported with gpg when needed")
          .Alias("WALE_GPG_KEY_ID")
          .Implemented(),
  };
  return specs;
}

bool PgpConfigured(const Config& config) {
  return config.Has("WALG_PGP_KEY") || config.Has("WALG_PGP_KEY_PATH") ||
         config.Has("WALG_GPG_KEY_ID");
}

std::shared_ptr<const Crypter> MakePgpCrypter(const Config& config) {
  const bool has_key = config.Has("WALG_PGP_KEY");
  const bool has_path = config.Has("WALG_PGP_KEY_PATH");
  if (has_key && has_path) {
    config.ThrowInvalid("WALG_PGP_KEY_PATH",
                        "cannot be combined with WALG_PGP_KEY; set only one of them");
  }
  std::optional<SecretString> passphrase;
  if (config.Has("WALG_PGP_KEY_PASSPHRASE")) {
    passphrase = SecretString(config.GetString("WALG_PGP_KEY_PASSPHRASE"));
  }
  std::string passphrase_setting(config.SpelledName("WALG_PGP_KEY_PASSPHRASE"));
  if (config.Has("WALG_GPG_KEY_ID")) {
    if (has_key || has_path) {
      config.ThrowInvalid("WALG_GPG_KEY_ID",
                          "cannot be combined with WALG_PGP_KEY or WALG_PGP_KEY_PATH; set only one "
                          "of them");
    }
    // As WAL-G: gpg exports the public keys for the first upload, the secret ones for the first
    // download, not before.
    std::string id = config.GetString("WALG_GPG_KEY_ID");
    std::string setting(config.SpelledName("WALG_GPG_KEY_ID"));
    std::string source = fmt::format("{} {} (gpg keyring)", setting, id);
    auto public_keys = [id, setting, source] {
      return pgp::PgpKeyring::Load(ExportGpgPublicKeys(id, setting), source);
    };
    auto secret_keys = [id, setting, source, passphrase] {
      return pgp::PgpKeyring::Load(ExportGpgSecretKeys(id, passphrase, setting).Reveal(), source);
    };
    return std::make_shared<PgpCrypter>(public_keys, secret_keys, std::move(passphrase),
                                        std::move(passphrase_setting));
  }
  if (has_key) {
    std::string setting(config.SpelledName("WALG_PGP_KEY"));
    SecretString material = ExpandNewlines(config.GetString("WALG_PGP_KEY"));
    return std::make_shared<PgpCrypter>(pgp::PgpKeyring::Load(material.Reveal(), setting),
                                        std::move(passphrase), std::move(passphrase_setting));
  }
  std::string path = config.GetString("WALG_PGP_KEY_PATH");
  std::string setting(config.SpelledName("WALG_PGP_KEY_PATH"));
  SecretString material;
  try {
    material = ReadKeyFile(path, setting, kMaxKeyFileSize, "the OpenPGP key");
  } catch (const Error& e) {
    // A key file that cannot be read is a bad setting (exit 2), not a failure of the command.
    if (e.code() == ErrorCode::kInvalidArgument) throw;
    throw Error(ErrorCode::kInvalidArgument, e.what());
  }
  return std::make_shared<PgpCrypter>(
      pgp::PgpKeyring::Load(material.Reveal(), fmt::format("{} {}", setting, path)),
      std::move(passphrase), std::move(passphrase_setting));
}

}  // namespace walnut
