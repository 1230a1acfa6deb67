#include "pipeline/crypto/encryption_detection.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

class DecodeFailureHintReader : public Reader {
 public:
  DecodeFailureHintReader(std::unique_ptr<Reader> next, std::string hint)
      : next_(std::move(next)), hint_(std::move(hint)) {}

  size_t Read(ByteSpan dst) override {
    try {
      return next_->Read(dst);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kCorruption) throw;
      throw Error(e.code(), fmt::format("{}; {}", e.what(), hint_), e.retryable());
    }
  }

 private:
  std::unique_ptr<Reader> next_;
  std::string hint_;
};

}  // namespace

EncryptionEvidence RecordedEncryption(const std::map<std::string, std::string>& metadata,
                                      std::string_view crypter_name) {
  auto it = metadata.find(kEncryptionMetadata);
  if (it == metadata.end()) return EncryptionEvidence::kUnknown;
  if (it->second == kNoEncryption) return EncryptionEvidence::kNotEncrypted;
  if (it->second == crypter_name) return EncryptionEvidence::kEncrypted;
  return EncryptionEvidence::kUnknown;
}

std::string KeySettingsHint(std::string_view crypter_name) {
  if (crypter_name == "libsodium") return "set WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH";
  return fmt::format("configure the key of its encryption ({})", crypter_name);
}

std::string EncryptedWithoutKeyMessage(std::string_view object, std::string_view crypter_name) {
  return fmt::format("{}: the object is encrypted; {}", object, KeySettingsHint(crypter_name));
}

std::unique_ptr<Reader> WithDecodeFailureHint(std::unique_ptr<Reader> next, std::string hint) {
  return std::make_unique<DecodeFailureHintReader>(std::move(next), std::move(hint));
}

}  // namespace walnut
