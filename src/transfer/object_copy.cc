#include "transfer/object_copy.h"

#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "io/digest.h"
#include "pipeline/content_checksum.h"
#include "pipeline/crypto/encryption_detection.h"

namespace walnut::transfer {
namespace {

constexpr size_t kChunk = 1 << 20;

Digest HashAll(Reader& reader) {
  Sha256Hasher hasher;
  std::vector<std::byte> buf(kChunk);
  for (;;) {
    size_t n = reader.Read(ByteSpan(buf.data(), buf.size()));
    if (n == 0) break;
    hasher.Update(ConstByteSpan(buf.data(), n));
  }
  return hasher.Finish();
}

void DeleteQuietly(const Folder& folder, const std::string& key) {
  try {
    folder.Delete(std::span<const std::string>(&key, 1));
  } catch (const Error&) {
    // The mismatch is the error to report; a leftover copy fails its check when read.
  }
}

std::string Where(const Folder& folder, const std::string& key) {
  return fmt::format("{}/{}", folder.storage().Describe(), folder.Key(key));
}

}  // namespace

CopyCheck CopyStoredObject(const Folder& from, const Folder& to, const std::string& key,
                           const CopyObjectOptions& options) {
  std::unique_ptr<StorageReader> reader = from.Get(key);
  const std::map<std::string, std::string> metadata = reader->metadata();
  std::optional<std::string> stored = options.stored_sha256;
  if (auto it = metadata.find(kStoredSha256Metadata); !stored && it != metadata.end()) {
    stored = it->second;
  }
  const bool has_content_digest = metadata.count(kContentSha256Metadata) != 0;

  PutOptions put;
  put.size_hint = options.size;
  put.metadata = metadata;
  std::unique_ptr<Writer> writer = to.Put(key, put);
  Sha256Hasher hasher;
  std::vector<std::byte> buf(kChunk);
  try {
    for (;;) {
      size_t n = reader->Read(ByteSpan(buf.data(), buf.size()));
      if (n == 0) break;
      hasher.Update(ConstByteSpan(buf.data(), n));
      writer->Write(ConstByteSpan(buf.data(), n));
    }
  } catch (...) {
    writer->Abort();
    throw;
  }
  const Digest source = hasher.Finish();
  if (stored && source.Hex() != *stored) {
    writer->Abort();
    throw ChecksumMismatch(Where(from, key), *stored, source.Hex());
  }
  writer->Close();
  if (stored) return CopyCheck::kStoredSha256;

  if (has_content_digest && options.pipeline != nullptr) {
    std::unique_ptr<Reader> decoded;
    try {
      // As its reader would: an object recorded as stored unencrypted is not decrypted, nor a
      // JSON document without a record (sentinels, metadata.json, walnut_archive.json: never
      // encrypted, as in WAL-G), whatever key is configured.
      DownloadOptions download;
      EncryptionEvidence evidence = RecordedEncryption(metadata);
      download.decrypt = evidence == EncryptionEvidence::kEncrypted ||
                         (evidence == EncryptionEvidence::kUnknown && !key.ends_with(".json"));
      decoded = MakeDownloadReader(to, key, *options.pipeline, download);
    } catch (const Error& e) {
      // No key for an encrypted object, or a compression this build cannot decode: fall back
      // to comparing the bytes.
      if (e.code() != ErrorCode::kInvalidArgument && e.code() != ErrorCode::kUnsupported) throw;
      decoded = nullptr;
    }
    if (decoded) {
      try {
        HashAll(*decoded);  // the reader checks the content's SHA-256 at its end
      } catch (const Error& e) {
        if (e.code() == ErrorCode::kCorruption) DeleteQuietly(to, key);
        throw;
      }
      return CopyCheck::kContentSha256;
    }
  }

  std::unique_ptr<StorageReader> back = to.Get(key);
  const Digest target = HashAll(*back);
  if (!(target == source)) {
    DeleteQuietly(to, key);
    throw Error(ErrorCode::kCorruption,
                fmt::format("{}: the copy read back does not match the source ({} bytes, SHA-256 "
                            "{}; read back {} bytes, {}); it was deleted",
                            Where(to, key), source.size, source.Hex(), target.size,
                            target.Hex()));
  }
  return CopyCheck::kReadBack;
}

}  // namespace walnut::transfer
