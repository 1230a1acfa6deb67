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
                                      std::string* crypter_name) {
  auto it = metadata.find(kEncryptionMetadata);
  if (it == metadata.end() || it->second.empty()) return EncryptionEvidence::kUnknown;
  if (it->second == kNoEncryption) return EncryptionEvidence::kNotEncrypted;
  if (crypter_name != nullptr) *crypter_name = it->second;
  return EncryptionEvidence::kEncrypted;
}

std::unique_ptr<Reader> WithDecodeFailureHint(std::unique_ptr<Reader> next, std::string hint) {
  return std::make_unique<DecodeFailureHintReader>(std::move(next), std::move(hint));
}

}  // namespace walnut
