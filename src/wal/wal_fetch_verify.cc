#include "wal/wal_fetch_verify.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut::wal {

std::string WalSegmentHeaderProblem(std::span<const std::byte> head, pg::WalSegment segment,
                                    uint64_t segment_size) {
  auto header = pg::ParseWalLongPageHeader(head);
  if (!header) return "it does not start with a WAL long page header (PostgreSQL 9.6 to 17)";
  pg::WalSegment expected = segment;
  if (header->timeline != 0 && header->timeline < segment.timeline) {
    expected.timeline = header->timeline;
  }
  return pg::WalHeaderMismatch(*header, expected, segment_size);
}

VerifyingWalWriter::VerifyingWalWriter(std::unique_ptr<Writer> next, WalFileExpectation expect)
    : next_(std::move(next)), expect_(std::move(expect)) {}

VerifyingWalWriter::~VerifyingWalWriter() = default;  // next_'s destructor aborts it

void VerifyingWalWriter::Write(ConstByteSpan src) {
  if (size_ < head_.size()) {
    size_t n = std::min(src.size(), static_cast<size_t>(head_.size() - size_));
    std::memcpy(head_.data() + size_, src.data(), n);
  }
  size_ += src.size();
  if (expect_.segment && size_ > expect_.segment_size) {
    Fail(
        fmt::format("it decodes to more than {} bytes, the WAL segment size: the object is "
                    "damaged, or WALG_PG_WAL_SIZE is not the cluster's segment size",
                    expect_.segment_size));
  }
  next_->Write(src);
}

std::string VerifyingWalWriter::Problem() {
  if (expect_.segment) {
    if (size_ != expect_.segment_size) {
      return fmt::format(
          "it decodes to {} bytes, a WAL segment has {}: the object is truncated or damaged, or "
          "WALG_PG_WAL_SIZE is not the cluster's segment size",
          size_, expect_.segment_size);
    }
    std::string header = WalSegmentHeaderProblem(head_, *expect_.segment, expect_.segment_size);
    if (!header.empty()) {
      return fmt::format(
          "its WAL page header does not match its name ({}): the object is "
          "damaged or was archived under a wrong name",
          header);
    }
  }
  return "";
}

void VerifyingWalWriter::Close() {
  std::string problem = Problem();
  if (!problem.empty()) Fail(problem);
  next_->Close();
}

void VerifyingWalWriter::Abort() noexcept { next_->Abort(); }

void VerifyingWalWriter::Fail(const std::string& problem) {
  next_->Abort();
  throw Error(ErrorCode::kCorruption,
              fmt::format("{}: {}; nothing was restored (replace the object from another copy of "
                          "the archive and retry)",
                          expect_.source, problem));
}

}  // namespace walnut::wal
