#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace walnut::sftp {

// SFTP keeps no user metadata with a file, so an object's metadata (the SHA-256 readers verify)
// lives in a hidden sidecar file next to it: key "dir/name" has "dir/.name.walnut-meta". The
// sidecar also records the size and modification time (whole seconds) the object's file had when
// it was written: metadata is trusted only while the file still has them, so a file replaced by
// another writer (WAL-G, which knows nothing of sidecars) is never checked against a stale
// SHA-256. Listings skip sidecars, as they skip temporary files. Not covered: two Walnut writers
// closing the same key at once with objects of the same size within the same second may leave
// one's sidecar beside the other's bytes (a read then reports a checksum mismatch); mtime has
// whole seconds only in SFTP version 3.

// ".name.walnut-meta" for "name" (a file name, no '/').
std::string SidecarName(std::string_view file_name);

// Whether a directory entry is a sidecar.
bool IsSidecarName(std::string_view file_name);

// The file name a sidecar describes: "name" for ".name.walnut-meta".
// REQUIRES: IsSidecarName(sidecar_name).
std::string SidecarObjectName(std::string_view sidecar_name);

struct Sidecar {
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch, as SFTP reports it
  std::map<std::string, std::string> metadata;
};

// The sidecar's bytes: a small JSON document.
std::string EncodeSidecar(const Sidecar& sidecar);

// Parses what EncodeSidecar wrote; nullopt for anything else (a damaged or foreign file is
// ignored: the object then reads as having no metadata). Never throws. Its input comes from the
// server: tests/fuzz/sftp_sidecar_fuzz.cc feeds it arbitrary bytes.
std::optional<Sidecar> DecodeSidecar(std::string_view bytes);

}  // namespace walnut::sftp
