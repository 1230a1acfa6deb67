#include "pipeline/crypto/walg_crypters_not_yet.h"

#include <vector>

// Names from WAL-G's internal/config/config.go and internal/crypto.

namespace walnut {

std::span<const SettingSpec> CryptersNotYetSettingSpecs() {
  using K = SettingKind;
  constexpr std::string_view kUseSodium =
      " is not supported by walnut yet, and nothing may be uploaded unencrypted instead; use "
      "WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH, or WALG_PGP_KEY or WALG_PGP_KEY_PATH";
  static const std::string envelope = "envelope OpenPGP encryption" + std::string(kUseSodium);
  static const std::string aws_kms = "AWS KMS client-side encryption" + std::string(kUseSodium);
  static const std::string yc_kms =
      "Yandex Cloud KMS client-side encryption" + std::string(kUseSodium);
  constexpr std::string_view kCompanion =
      "only used with an encryption walnut does not support yet (refused when configured)";
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_ENVELOPE_PGP_KEY", K::kString, "envelope OpenPGP key (Yandex Cloud KMS)")
          .Secret()
          .Refused(envelope),
      DefineSetting("WALG_ENVELOPE_PGP_KEY_PATH", K::kString,
                    "file holding the envelope OpenPGP key")
          .Refused(envelope),
      DefineSetting("WALG_ENVELOPE_PGP_YC_CSE_KMS_KEY_ID", K::kString,
                    "Yandex Cloud KMS key id (envelope)")
          .Warned(kCompanion),
      DefineSetting("WALG_ENVELOPE_PGP_YC_SERVICE_ACCOUNT_KEY_FILE", K::kString,
                    "Yandex Cloud service account key file (envelope)")
          .Warned(kCompanion),
      DefineSetting("WALG_ENVELOPE_PGP_YC_ENDPOINT", K::kString,
                    "Yandex Cloud KMS endpoint (envelope)")
          .Warned(kCompanion),
      DefineSetting("WALG_ENVELOPE_CACHE_EXPIRATION", K::kDuration, "envelope key cache lifetime")
          .Default("0")
          .Warned(kCompanion),
      DefineSetting("WALG_CSE_KMS_ID", K::kString, "AWS KMS key for client-side encryption")
          .Refused(aws_kms),
      DefineSetting("WALG_CSE_KMS_REGION", K::kString, "region of WALG_CSE_KMS_ID")
          .Warned(kCompanion),
      DefineSetting("YC_CSE_KMS_KEY_ID", K::kString,
                    "Yandex Cloud KMS key for client-side encryption")
          .Refused(yc_kms),
      DefineSetting("YC_SERVICE_ACCOUNT_KEY_FILE", K::kString,
                    "Yandex Cloud service account key file")
          .Warned(kCompanion),
  };
  return specs;
}

}  // namespace walnut
