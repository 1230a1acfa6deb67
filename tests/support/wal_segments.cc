#include "support/wal_segments.h"

#include <cstring>

namespace walnut::testing {

std::string FakeWalSegment(pg::WalSegment segment, uint64_t system_identifier,
                           uint64_t segment_size) {
  // Half incompressible, half text-like: roughly how real WAL compresses.
  std::string data = RandomBytes(segment_size / 2, segment.segno + 1) +
                     CompressibleBytes(segment_size - segment_size / 2, segment.segno + 1);
  const uint16_t magic = 0xD110;  // PostgreSQL 15
  const uint16_t info = 0x0002;   // XLP_LONG_HEADER
  const uint64_t page_address = pg::SegmentStartLsn(segment.segno, segment_size);
  const uint32_t rem_len = 0;
  const uint32_t pad = 0;
  const uint32_t seg_size = static_cast<uint32_t>(segment_size);
  const uint32_t block_size = 8192;
  char* p = data.data();
  std::memcpy(p + 0, &magic, 2);
  std::memcpy(p + 2, &info, 2);
  std::memcpy(p + 4, &segment.timeline, 4);
  std::memcpy(p + 8, &page_address, 8);
  std::memcpy(p + 16, &rem_len, 4);
  std::memcpy(p + 20, &pad, 4);
  std::memcpy(p + 24, &system_identifier, 8);
  std::memcpy(p + 32, &seg_size, 4);
  std::memcpy(p + 36, &block_size, 4);
  return data;
}

std::filesystem::path WriteFakeWalSegment(const std::filesystem::path& pg_wal,
                                          pg::WalSegment segment, uint64_t system_identifier,
                                          bool ready, uint64_t segment_size) {
  std::string name = pg::WalFileName(segment, segment_size);
  std::filesystem::create_directories(pg_wal / "archive_status");
  auto path = pg_wal / name;
  WriteFile(path, FakeWalSegment(segment, system_identifier, segment_size));
  if (ready) WriteFile(pg_wal / "archive_status" / (name + ".ready"), "");
  return path;
}

}  // namespace walnut::testing
