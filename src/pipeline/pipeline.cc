#include "pipeline/pipeline.h"

#include <set>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "concurrency/async_reader.h"
#include "concurrency/async_writer.h"
#include "pipeline/checksum_reader.h"
#include "pipeline/checksum_writer.h"
#include "pipeline/context_reader.h"
#include "pipeline/crypter_registry.h"
#include "pipeline/crypto/encryption_detection.h"

namespace walnut {
namespace {

constexpr std::string_view kReadUndecoded =
    "content could not be verified: it was read without decrypting or decompressing it, and "
    "the SHA-256 recorded for it is of the decoded content";

// Whether an object's name says it is stored compressed (by a method Walnut decodes or not).
bool StoredCompressed(std::string_view key) {
  try {
    return CompressionFromObjectName(key) != CompressionMethod::kNone;
  } catch (const Error&) {
    return true;  // gz, lzo, ...
  }
}

}  // namespace

std::string WithExtension(std::string_view name, CompressionMethod method) {
  std::string_view ext = CodecFor(method).extension;
  if (ext.empty()) return std::string(name);
  return fmt::format("{}.{}", name, ext);
}

std::unique_ptr<UploadWriter> MakeUploadWriter(const Folder& folder, std::string_view name,
                                               const PipelineOptions& options,
                                               const PutOptions& put_options, ChecksumOf checksum) {
  PutOptions put = put_options;
  put.metadata[kEncryptionMetadata] =
      options.crypter ? std::string(options.crypter->Name()) : std::string(kNoEncryption);
  std::string known;
  if (auto it = put.metadata.find(kContentSha256Metadata); it != put.metadata.end()) {
    known = it->second;
  }
  const bool hash_stored = known.empty() && checksum == ChecksumOf::kStoredBytes;
  const bool hash_content = known.empty() && checksum == ChecksumOf::kContent;
  auto late = std::make_shared<LateMetadata>();
  if (known.empty()) put.late_metadata = late;

  std::unique_ptr<Writer> writer = folder.Put(name, put);
  if (hash_stored) {
    writer = std::make_unique<ChecksumWriter>(std::move(writer), late, kStoredSha256Metadata);
  }
  if (options.crypter) writer = options.crypter->WrapEncrypt(std::move(writer));
  // Compression runs on the caller's thread; encryption and storage I/O on another, so that
  // two cores share the work (as zstd's own tool does with its I/O thread).
  writer = std::make_unique<AsyncWriter>(std::move(writer), options.stage_buffer_size != 0
                                                                ? options.stage_buffer_size
                                                                : AsyncWriter::kDefaultBufferSize);
  writer =
      GetCompressor(options.compression).WrapWriter(std::move(writer), options.compression_options);
  if (hash_content) {
    writer = std::make_unique<ChecksumWriter>(std::move(writer), late, kContentSha256Metadata);
  }
  return std::make_unique<UploadWriter>(
      std::move(writer), hash_stored ? kStoredSha256Metadata : kContentSha256Metadata,
      std::move(known), std::move(late));
}

namespace {

// "lz4, lzma, zst and br": what the messages say Walnut reads.
std::string DecodableExtensions() {
  std::vector<std::string_view> extensions;
  for (const Codec& codec : Codecs()) {
    if (!codec.extension.empty()) extensions.push_back(codec.extension);
  }
  std::string text;
  for (size_t i = 0; i < extensions.size(); ++i) {
    if (i > 0) text += i + 1 == extensions.size() ? " and " : ", ";
    text += extensions[i];
  }
  return text;
}

}  // namespace

CompressionMethod CompressionFromObjectName(std::string_view name) {
  auto slash = name.rfind('/');
  std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto dot = base.rfind('.');
  if (dot == std::string_view::npos) return CompressionMethod::kNone;
  std::string_view ext = base.substr(dot + 1);
  if (auto method = CompressionMethodFromExtension(ext)) return *method;
  for (std::string_view undecodable : UndecodableExtensions()) {
    if (ext == undecodable) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{}: '.{}' compression is not supported; Walnut reads {} objects "
                              "(fetch this one with the tool that wrote it)",
                              name, ext, DecodableExtensions()));
    }
  }
  return CompressionMethod::kNone;
}

std::unique_ptr<Reader> MakeDownloadReader(const Folder& folder, std::string_view name,
                                           const PipelineOptions& options,
                                           const DownloadOptions& download) {
  const std::string key = folder.Key(name);
  CompressionMethod method =
      download.decompress ? CompressionFromObjectName(key) : CompressionMethod::kNone;
  std::string context = fmt::format("{}/{}", folder.storage().Describe(), key);
  std::unique_ptr<StorageReader> object = folder.Get(name);
  const std::map<std::string, std::string> metadata = object->metadata();
  auto recorded = [&](const char* metadata_name) -> std::optional<std::string> {
    auto it = metadata.find(metadata_name);
    if (it == metadata.end()) return std::nullopt;
    return it->second;
  };
  const bool decrypting = download.decrypt && options.crypter;
  std::string recorded_crypter;
  const EncryptionEvidence encryption = RecordedEncryption(metadata, &recorded_crypter);
  if (download.decrypt && encryption == EncryptionEvidence::kEncrypted) {
    if (!options.crypter) {
      throw Error(ErrorCode::kInvalidArgument,
                  EncryptedWithoutKeyMessage(context, recorded_crypter));
    }
    if (options.crypter->Name() != recorded_crypter) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: the object is encrypted with {}, but {} is configured; {}",
                              context, recorded_crypter, options.crypter->Name(),
                              KeySettingsHint(recorded_crypter)));
    }
  }

  std::unique_ptr<Reader> reader = std::move(object);
  // The stored bytes' digest is checked on the thread that reads them from storage.
  std::optional<std::string> stored_sha256 =
      download.stored_sha256 ? download.stored_sha256 : recorded(kStoredSha256Metadata);
  if (stored_sha256) {
    reader =
        std::make_unique<ChecksumReader>(std::move(reader), stored_sha256, context, nullptr, "");
  }
  if (decrypting) reader = options.crypter->WrapDecrypt(std::move(reader));
  // Storage reads and decryption run ahead on another thread while the caller decompresses.
  reader = std::make_unique<AsyncReader>(std::move(reader));
  reader = GetCompressor(method).WrapReader(std::move(reader));
  if (download.decrypt && !options.crypter && encryption == EncryptionEvidence::kUnknown &&
      method != CompressionMethod::kNone) {
    reader = WithDecodeFailureHint(
        std::move(reader), fmt::format("if the archive is encrypted, {}", AnyKeySettingsHint()));
  }

  // The content's digest applies only when what comes out is the content.
  const bool decoded = download.decompress || !StoredCompressed(key);
  const bool decrypted = decrypting || encryption == EncryptionEvidence::kNotEncrypted ||
                         (download.decrypt && encryption == EncryptionEvidence::kUnknown);
  std::optional<std::string> content_sha256 = recorded(kContentSha256Metadata);
  UnverifiedObjectHandler on_unverified =
      download.on_unverified ? download.on_unverified : UnverifiedObjectHandler(WarnUnverified);
  if (content_sha256 && decoded && decrypted) {
    reader =
        std::make_unique<ChecksumReader>(std::move(reader), content_sha256, context, nullptr, "");
  } else if (!stored_sha256) {
    reader = std::make_unique<ChecksumReader>(
        std::move(reader), std::nullopt, context, std::move(on_unverified),
        content_sha256 ? std::string(kReadUndecoded) : std::string(kNoRecordedSha256));
  }
  return std::make_unique<ContextReader>(std::move(reader), std::move(context));
}

namespace {

// The names `base_name` may be stored under, in WAL-G's probe order: the configured method first,
// then lz4, lzma, zstd, brotli, none.
std::vector<std::string> ProbeOrder(std::string_view base_name, CompressionMethod preferred) {
  std::vector<std::string> names = {WithExtension(base_name, preferred)};
  for (const Codec& codec : Codecs()) {
    if (codec.method != preferred) names.push_back(WithExtension(base_name, codec.method));
  }
  return names;
}

}  // namespace

std::optional<FoundObject> FindCompressedObjectInfo(const Folder& folder,
                                                    std::string_view base_name,
                                                    CompressionMethod preferred) {
  for (std::string& name : ProbeOrder(base_name, preferred)) {
    if (auto info = folder.Stat(name)) return FoundObject{std::move(name), std::move(*info)};
  }
  return std::nullopt;
}

std::optional<std::string> FindCompressedObject(const Folder& folder, std::string_view base_name,
                                                CompressionMethod preferred) {
  if (folder.storage().Supports(StorageFeature::kPrefixListing)) {
    std::set<std::string> names;
    ListOptions level;
    level.recursive = false;
    folder.List(base_name, level, [&](const ObjectInfo& info) {
      if (!info.is_prefix) names.insert(info.key);
    });
    for (std::string& name : ProbeOrder(base_name, preferred)) {
      if (names.contains(name)) return std::move(name);
    }
    return std::nullopt;
  }
  auto found = FindCompressedObjectInfo(folder, base_name, preferred);
  if (!found) return std::nullopt;
  return std::move(found->name);
}

}  // namespace walnut
