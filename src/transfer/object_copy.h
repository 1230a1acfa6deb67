#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/pipeline.h"
#include "storage/folder.h"

namespace walnut::transfer {

// How a copied object was checked.
enum class CopyCheck {
  kStoredSha256,   // its stored bytes against the SHA-256 recorded for them, on the way
  kContentSha256,  // decoded from the target, against the SHA-256 of its content
  kReadBack,       // no usable digest (written by WAL-G; or encrypted and no key configured):
                   // the target read back byte for byte against what was read from the source
};

struct CopyObjectOptions {
  // Decodes objects of which only the content's SHA-256 is recorded (WAL, documents, st put);
  // null: such objects are read back instead.
  const PipelineOptions* pipeline = nullptr;
  // The SHA-256 of the stored bytes as a catalogue recorded it (a backup sentinel's WalnutSha256),
  // for an object whose storage could not keep it with the object (an S3 multipart upload).
  std::optional<std::string> stored_sha256;
  // The source's size, when a listing gave it (lets S3 choose a single PUT).
  std::optional<uint64_t> size;
};

// Copies the object `key` from `from` to `to` as it is stored: the same bytes (no decompression,
// decryption or re-encoding) and the same user metadata, so its recorded checksums stay true. The
// target object appears only once it is whole (the Writer contract). Checked on the way: a source
// whose bytes do not match their recorded SHA-256 is never committed; an object with only a
// content digest is decoded back from the target, and one without any digest is read back and
// compared. A target that fails the check is deleted. Throws kCorruption naming the object for a
// mismatch, and the storages' errors otherwise.
CopyCheck CopyStoredObject(const Folder& from, const Folder& to, const std::string& key,
                           const CopyObjectOptions& options = {});

}  // namespace walnut::transfer
