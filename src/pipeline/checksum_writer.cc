#include "pipeline/checksum_writer.h"

namespace walnut {

ChecksumWriter::ChecksumWriter(std::unique_ptr<Writer> next, std::shared_ptr<LateMetadata> late,
                               std::string metadata_name)
    : next_(std::move(next)), late_(std::move(late)), metadata_name_(std::move(metadata_name)) {}

void ChecksumWriter::Write(ConstByteSpan src) {
  hasher_.Update(src);
  next_->Write(src);
}

void ChecksumWriter::Close() {
  late_->values[metadata_name_] = hasher_.Finish().Hex();
  next_->Close();
}

void ChecksumWriter::Abort() noexcept { next_->Abort(); }

}  // namespace walnut
