#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "postgres/wal_file_name.h"
#include "support/test_util.h"

namespace walnut::testing {

// The bytes of a plausible WAL segment for unit and CLI tests without a server: a PostgreSQL 15
// long page header for `segment` (system identifier, segment size, page address), then
// pseudo-random, partly compressible bytes seeded by the segment number.
std::string FakeWalSegment(pg::WalSegment segment, uint64_t system_identifier,
                           uint64_t segment_size = pg::kDefaultWalSegmentSize);

// Writes FakeWalSegment into `pg_wal/<name>` and, when `ready`, the archive_status/<name>.ready
// marker PostgreSQL leaves for the archiver. Returns the segment's path.
std::filesystem::path WriteFakeWalSegment(const std::filesystem::path& pg_wal,
                                          pg::WalSegment segment, uint64_t system_identifier,
                                          bool ready = true,
                                          uint64_t segment_size = pg::kDefaultWalSegmentSize);

}  // namespace walnut::testing
