#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/reader.h"
#include "io/writer.h"
#include "pipeline/compress/compressor.h"
#include "pipeline/content_checksum.h"
#include "pipeline/crypto/crypter.h"
#include "pipeline/upload_writer.h"
#include "storage/folder.h"

namespace walnut {

// How payload objects (WAL, tars, `st put`) are encoded on the way to storage. The only place that
// knows the order: compress, then encrypt (as WAL-G: storage never sees plaintext, and ciphertext
// does not compress). JSON metadata and sentinels bypass the pipeline and are stored raw
// (pipeline/stored_document.h).
struct PipelineOptions {
  CompressionMethod compression = CompressionMethod::kLz4;
  CompressionOptions compression_options;
  std::shared_ptr<const Crypter> crypter;  // null: no encryption
  // The buffers handed between the compressing thread and the encrypting/storing one (3 queue
  // plus the one being filled). 0: AsyncWriter's default (1 MiB); WAL segments use less.
  size_t stage_buffer_size = 0;
};

// `name` plus the compression extension: "x.lz4", or "x" for no compression (WAL-G's
// AddFileExtension omits the dot).
std::string WithExtension(std::string_view name, CompressionMethod method);

// Which bytes the SHA-256 recorded for an upload covers.
enum class ChecksumOf {
  // The content (kContentSha256Metadata). A caller that hashed it before the upload passes it in
  // PutOptions::metadata, and it goes with the object's metadata from the start (wal-push); else
  // it is hashed on the writing thread and kept at Close() where the storage can.
  kContent,
  // The bytes as stored (kStoredSha256Metadata), hashed on the thread that stores them: for large
  // streams whose content is checksummed otherwise (tar parts: files_metadata.json).
  kStoredBytes,
};

// Opens `name` (already carrying its extension) in `folder` for writing: the bytes written are
// compressed, encrypted and stored, committed by Close(). The object's metadata records its
// encryption (kEncryptionMetadata) and its SHA-256 (`checksum`); after Close() the returned
// writer tells the SHA-256 and whether the storage kept it (else the caller records it, as
// backup-push does in the sentinel).
std::unique_ptr<UploadWriter> MakeUploadWriter(const Folder& folder, std::string_view name,
                                               const PipelineOptions& options,
                                               const PutOptions& put_options = {},
                                               ChecksumOf checksum = ChecksumOf::kContent);

// What to undo when reading an object back, and how to verify it.
struct DownloadOptions {
  bool decrypt = true;     // decrypt when a crypter is configured
  bool decompress = true;  // decompress by the object's extension
  // The SHA-256 of the object's stored bytes as a catalogue recorded it (a backup sentinel's
  // WalnutSha256), for objects whose storage could not keep it with them.
  std::optional<std::string> stored_sha256 = std::nullopt;
  // Told when the object was read to its end without a SHA-256 to check (written by WAL-G, or
  // read without decoding while only its content's SHA-256 is recorded); null: WarnUnverified.
  UnverifiedObjectHandler on_unverified = nullptr;
};

// Opens `name` for reading with decryption and the decompressor chosen by the name's extension,
// verifying the SHA-256 recorded for it (download.stored_sha256, or the object's metadata) when
// the stream ends: wrong bytes are never delivered as a complete stream.
// Errors from any layer are reported as "<storage>/<key>: <what went wrong>": kCorruption
// "...: content does not match its recorded SHA-256 ..." for a damaged object.
// Throws kNotFound when the object does not exist, kUnsupported for a compression Walnut cannot
// decode (see CompressionFromObjectName), kInvalidArgument ("...: the object is encrypted (libsodium); set
// WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH") for an object recorded as encrypted when no key
// is configured.
std::unique_ptr<Reader> MakeDownloadReader(const Folder& folder, std::string_view name,
                                           const PipelineOptions& options,
                                           const DownloadOptions& download = {});

// The compression method an object name's extension stands for. An extension that names no
// compression ("00000002.history", "notes.txt") means uncompressed, as in WAL-G; one that names a
// compression Walnut does not decode (gz, lzo, xz, bz2, snappy) throws kUnsupported.
CompressionMethod CompressionFromObjectName(std::string_view name);

// Finds `base_name` stored under any compression extension, in WAL-G's probing order (the
// configured method first, then lz4, lzma, zstd, brotli, none). Returns the full name found. On a
// storage with kPrefixListing this is one listing instead of up to six Stat calls (wal-push to S3
// asks for a segment that is not there yet: six round trips became one).
std::optional<std::string> FindCompressedObject(const Folder& folder, std::string_view base_name,
                                                CompressionMethod preferred);

// An object FindCompressedObjectInfo found: its name (with extension) and what Stat returned for
// it (size, user metadata such as kContentSha256Metadata).
struct FoundObject {
  std::string name;
  ObjectInfo info;
};

// As FindCompressedObject, keeping the Stat result: readers that verify what they decode need
// the object's metadata, and this costs no extra round trip.
std::optional<FoundObject> FindCompressedObjectInfo(const Folder& folder,
                                                    std::string_view base_name,
                                                    CompressionMethod preferred);

}  // namespace walnut
