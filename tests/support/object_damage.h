#pragma once

#include <functional>
#include <string>

#include "storage/storage.h"

namespace walnut::testing {

// Damage done to stored objects behind Walnut's back, through any Storage (a directory, the
// s3rver), to check that every read notices.

// Rewrites `key` with `edit` applied to its stored bytes. `keep_metadata`: with the metadata it
// had (bit rot, a tampered copy); else with none (as WAL-G writes objects, or as an S3 multipart
// upload keeps no digest known only at its end).
void RewriteObject(Storage& storage, const std::string& key,
                   const std::function<void(std::string&)>& edit, bool keep_metadata = true);

// Flips one bit in the middle of `bytes`.
void FlipMiddleBit(std::string& bytes);

// Changes the owner's user name in the first header of the uncompressed tar `tar` and recomputes
// the header's checksum: a change neither the tar format nor the files' checksums can see, so only
// a checksum of the whole object finds it.
void AlterTarUserName(std::string& tar);

}  // namespace walnut::testing
