#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/mutex.h"
#include "localfs/local_fs.h"
#include "postgres/wal_page_header.h"
#include "storage/folder.h"

namespace walnut {

// The object at the storage root (WALG_STORAGE_PREFIX applied) that records which database
// system archives its WAL there. A root-level name holds no WAL file name, so WAL-G's delete
// never removes it.
inline constexpr std::string_view kArchiveIdentityObject = "walnut_archive.json";

// Which cluster an archive belongs to: {"system_identifier": 7345..., "pg_version": 15,
// "wal_magic": 53520, "segment_size": 16777216}. Stored as plain JSON (not compressed or
// encrypted, as WAL-G's JSON metadata), so that operators and other tools can read it.
struct ArchiveIdentity {
  uint64_t system_identifier = 0;
  int pg_version = 0;  // 0 when the WAL magic is unknown
  uint16_t wal_magic = 0;
  uint64_t segment_size = 0;
};

std::string ArchiveIdentityToJson(const ArchiveIdentity& identity);
// Throws kCorruption naming `object` when `json` is not an identity record.
ArchiveIdentity ArchiveIdentityFromJson(std::string_view json, std::string_view object);

// The text of `root`'s identity record, nullopt when there is none (a new archive, one written
// by WAL-G, or one cleared by delete everything).
std::optional<std::string> ReadArchiveIdentityRecord(const Folder& root);

// How long a wal-push trusts its local cache of a verified identity before asking the storage
// again: a cluster that keeps archiving after `delete everything` cleared the record records its
// identity again within this time (or is refused, if another cluster took the archive meanwhile).
inline constexpr std::chrono::seconds kArchiveIdentityCacheLifetime{300};

// Refuses WAL of a second cluster in one archive: two clusters pointed at one prefix would write
// segments with the same names, and each would overwrite (or, with overwrite protection, block)
// the other's WAL. The first segment pushed records its cluster's identity in the storage; every
// later one is checked against it. A verified identity is cached in a local file (keyed by the
// storage's description) for `cache_lifetime`, so an ordinary push costs no extra storage
// request; `delete everything` removes the record, and the cache's lifetime bounds how long a
// cluster archiving meanwhile goes on without recording itself again.
// Thread-safe.
class ArchiveIdentityGuard {
 public:
  // `root`: the storage root. `cache_dir`: a local directory for the cache (pg_wal/walg_data),
  // reached through `fs` (which must outlive the guard).
  ArchiveIdentityGuard(const Folder& root, LocalFs& fs, std::filesystem::path cache_dir,
                       std::chrono::seconds cache_lifetime = kArchiveIdentityCacheLifetime);

  // Checks that the segment whose header this is (named `file_name`, for messages) may be
  // archived in `root`. Throws kAlreadyExists naming both system identifiers, the storage and
  // what to do when another cluster owns the archive; kCorruption when the recorded identity is
  // unreadable. Records the identity on first use.
  void Check(const pg::WalLongPageHeader& header, std::string_view file_name);

  // The storage's description used in messages and as the cache key.
  const std::string& storage_name() const { return storage_name_; }

 private:
  bool CacheConfirms(uint64_t system_identifier) const;
  void WriteCache(uint64_t system_identifier) const;
  std::filesystem::path CachePath() const;

  Folder root_;
  LocalFs& fs_;
  std::filesystem::path cache_dir_;
  std::chrono::seconds cache_lifetime_;
  std::string storage_name_;
  Mutex mu_;
  std::optional<uint64_t> verified_ GUARDED_BY(mu_);
};

}  // namespace walnut
