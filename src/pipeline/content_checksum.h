#pragma once

namespace walnut {

// The object-metadata name under which an uploader records the SHA-256 (lower-case hex) of the
// content before compression and encryption. It lets wal-push compare a re-pushed file with the
// archived one without downloading it, and lets readers verify what they decoded. Objects written
// by WAL-G, or by a backend that cannot keep metadata, lack it; readers then fall back to the
// codecs' own checks.
inline constexpr const char* kContentSha256Metadata = "walnut-sha256";

}  // namespace walnut
