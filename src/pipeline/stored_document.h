#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/reader.h"
#include "pipeline/content_checksum.h"
#include "pipeline/upload_writer.h"
#include "storage/folder.h"

namespace walnut {

// Objects stored raw, never compressed or encrypted (as WAL-G stores its JSON documents:
// sentinels, metadata.json, files_metadata.json; also Walnut's archive identity), with the
// SHA-256 of their bytes recorded as kContentSha256Metadata and checked on every read. Errors
// name the object as "<storage>/<key>".

// Stores `content` under `name` in one piece, its SHA-256 sent with it.
void PutDocument(const Folder& folder, std::string_view name, std::string_view content);

// Streams a document of unknown size to `name`: its SHA-256 is kept at Close() where the storage
// can (UploadWriter::sha256_kept(); else the caller records it, as the sentinel does for
// files_metadata.json).
std::unique_ptr<UploadWriter> CreateDocument(const Folder& folder, std::string_view name);

// Reads `name` whole and checks it against its recorded SHA-256 (kCorruption, ChecksumMismatch);
// one without a record goes to `on_unverified` (null: WarnUnverified). Throws kNotFound as
// Storage::Get, kCorruption when it is larger than `max_size` bytes.
std::string GetDocument(const Folder& folder, std::string_view name, size_t max_size,
                        const UnverifiedObjectHandler& on_unverified = nullptr);

// Opens `name` for a streaming parser: checked when the stream ends against `expected` (a
// catalogue's record of the SHA-256), else the object's own record, else reported to
// `on_unverified` (null: WarnUnverified). Throws kNotFound as Storage::Get.
std::unique_ptr<Reader> OpenDocument(const Folder& folder, std::string_view name,
                                     std::optional<std::string> expected = std::nullopt,
                                     const UnverifiedObjectHandler& on_unverified = nullptr);

}  // namespace walnut
