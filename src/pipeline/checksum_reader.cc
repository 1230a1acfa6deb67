#include "pipeline/checksum_reader.h"

namespace walnut {

ChecksumReader::ChecksumReader(std::unique_ptr<Reader> next, std::optional<std::string> expected,
                               std::string object, UnverifiedObjectHandler on_unverified,
                               std::string why)
    : next_(std::move(next)),
      expected_(std::move(expected)),
      object_(std::move(object)),
      on_unverified_(std::move(on_unverified)),
      why_(std::move(why)) {
  if (expected_) hasher_ = std::make_unique<Sha256Hasher>();
}

size_t ChecksumReader::Read(ByteSpan dst) {
  size_t n = next_->Read(dst);
  if (n > 0) {
    if (hasher_) hasher_->Update(ConstByteSpan(dst.data(), n));
  } else if (!dst.empty() && !finished_) {
    Finish();
  }
  return n;
}

void ChecksumReader::Finish() {
  finished_ = true;
  if (!hasher_) {
    if (on_unverified_) on_unverified_(object_, why_);
    return;
  }
  std::string actual = hasher_->Finish().Hex();
  if (actual != *expected_) throw ChecksumMismatch("", *expected_, actual);
}

}  // namespace walnut
