#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace walnut {

// How Walnut records what it stored, so that every read can tell a damaged object from a good
// one (docs/backup-format.md, "Checksums"). Objects written by WAL-G, or by Walnut before it
// recorded checksums, carry none; readers then say that they could not verify them.

// The object-metadata name under which an uploader records the SHA-256 (lower-case hex) of the
// content before compression and encryption: WAL files (wal-push hashes the file before the
// upload), JSON documents, `st put`. It lets wal-push compare a re-pushed file with the archived
// one without downloading it, and lets readers verify what they decoded.
inline constexpr const char* kContentSha256Metadata = "walnut-sha256";

// The metadata name for the SHA-256 of the bytes as stored (after compression and encryption),
// recorded at the end of an upload where the storage still can (a directory; an S3 object that
// fits one PutObject). Tar parts carry it: their files' content is hashed for files_metadata.json
// already, and hashing the stored bytes (a fraction of the data once compressed, on the thread
// that writes them anyway) costs far less than hashing every byte of a backup twice. A backup's
// sentinel records the same value for each of its streamed objects (WalnutSha256), which also
// covers S3 multipart uploads.
inline constexpr const char* kStoredSha256Metadata = "walnut-stored-sha256";

// Told about an object that was read to its end without being verified, and why. Called on the
// reading thread; must be thread-safe when one handler serves parallel reads.
using UnverifiedObjectHandler =
    std::function<void(const std::string& object, const std::string& why)>;

// Why an object without a recorded SHA-256 was not verified.
inline constexpr std::string_view kNoRecordedSha256 =
    "content could not be verified: no SHA-256 was recorded for it (written by WAL-G or an older "
    "Walnut)";

// The default handler: one WARNING line "<object>: <why>" on stderr, once per object per process
// (a command that reads a document twice says it once). Thread-safe.
void WarnUnverified(const std::string& object, const std::string& why);

// The kCorruption error for bytes whose SHA-256 is `actual` where `recorded` was recorded:
// "<object>: content does not match its recorded SHA-256 ...". An empty `object` leaves the
// naming to an enclosing ContextReader.
Error ChecksumMismatch(std::string_view object, std::string_view recorded, std::string_view actual);

}  // namespace walnut
