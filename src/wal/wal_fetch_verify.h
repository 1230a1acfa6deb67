#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "io/writer.h"
#include "postgres/wal_file_name.h"
#include "postgres/wal_page_header.h"

namespace walnut::wal {

// What a restored WAL file must look like before PostgreSQL may see it.
struct WalFileExpectation {
  // Where the bytes come from, for messages ("file:///a/wal_005/000000010000000000000003.lz4").
  std::string source;
  // Set for WAL segments: the file must be exactly this size (WALG_PG_WAL_SIZE) and start with
  // the long page header of `segment`.
  std::optional<pg::WalSegment> segment;
  uint64_t segment_size = pg::kDefaultWalSegmentSize;
};

// Why `head` (the first bytes of a file) is not the start of `segment`, or "" when it is. The
// first segment of a new timeline begins with the previous timeline's pages (PostgreSQL copies
// them at the switch), so a header naming an older timeline than the file name is accepted.
std::string WalSegmentHeaderProblem(std::span<const std::byte> head, pg::WalSegment segment,
                                    uint64_t segment_size);

// Forwards bytes to `next` (a file that becomes visible on Close) while checking them against an
// expectation: size and segment header (the recorded SHA-256 is checked by the download reader,
// MakeDownloadReader). Close() commits downstream only when all match; otherwise it aborts
// downstream and throws kCorruption naming the source and what to do. A stream longer than a
// segment fails as soon as it is. Not thread-safe.
class VerifyingWalWriter : public Writer {
 public:
  VerifyingWalWriter(std::unique_ptr<Writer> next, WalFileExpectation expect);
  ~VerifyingWalWriter() override;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  // The problem with what was written, "" when none. REQUIRES: the stream is complete.
  std::string Problem();
  [[noreturn]] void Fail(const std::string& problem);

  std::unique_ptr<Writer> next_;
  WalFileExpectation expect_;
  std::array<std::byte, pg::kWalLongPageHeaderSize> head_{};
  uint64_t size_ = 0;
};

}  // namespace walnut::wal
