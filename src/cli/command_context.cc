#include "cli/command_context.h"

#include "common/error.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "storage/factory/storage_factory.h"
#include "storage/rate_limited_storage.h"

namespace walnut {
namespace {

std::shared_ptr<const Crypter> MakeCrypter(const EncryptionSettings& encryption) {
  switch (encryption.type) {
    case EncryptionType::kNone:
      return nullptr;
    case EncryptionType::kLibsodium: {
      auto transform = SodiumKeyTransformFromName(encryption.libsodium_key_transform);
      if (!transform) {
        throw Error(ErrorCode::kInvalidArgument,
                    "WALG_LIBSODIUM_KEY_TRANSFORM: accepted values are none, hex, base64");
      }
      if (!encryption.libsodium_key_path.empty()) {
        return std::make_shared<SodiumCrypter>(LoadSodiumKeyFile(
            encryption.libsodium_key_path, *transform, "WALG_LIBSODIUM_KEY_PATH"));
      }
      return std::make_shared<SodiumCrypter>(
          LoadSodiumKey(encryption.libsodium_key.Reveal(), *transform, "WALG_LIBSODIUM_KEY"));
    }
    case EncryptionType::kPgp:
      throw Error(ErrorCode::kUnsupported,
                  "OpenPGP encryption (WALG_PGP_KEY, WALG_PGP_KEY_PATH) is not supported yet; use "
                  "WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH");
  }
  return nullptr;
}

}  // namespace

CommandContext::CommandContext(Config config) : config_(std::move(config)) {}

CommandContext::~CommandContext() = default;

const Settings& CommandContext::settings() {
  if (!settings_) settings_ = LoadSettings(config_);
  return *settings_;
}

const Folder& CommandContext::root() {
  if (!root_) {
    storage_ = OpenStorage(settings());
    // As WAL-G: every command's object reads and writes, unless --turbo.
    if (settings().network_rate_limit && !turbo_) {
      storage_ =
          std::make_unique<RateLimitedStorage>(std::move(storage_), *settings().network_rate_limit);
    }
    root_.emplace(*storage_, settings().storage.sub_prefix);
  }
  return *root_;
}

const PipelineOptions& CommandContext::pipeline() {
  if (!pipeline_) {
    const Settings& s = settings();
    PipelineOptions options;
    auto method = CompressionMethodFromName(s.compression_method);
    if (!method) {
      throw Error(ErrorCode::kInvalidArgument,
                  "WALG_COMPRESSION_METHOD: accepted values are lz4, lzma, zstd, brotli, none");
    }
    options.compression = *method;
    options.compression_options.level = s.zstd_level;
    options.crypter = MakeCrypter(s.encryption);
    pipeline_ = std::move(options);
  }
  return *pipeline_;
}

}  // namespace walnut
