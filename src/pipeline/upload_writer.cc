#include "pipeline/upload_writer.h"

#include "common/process_stats.h"

namespace walnut {

UploadWriter::UploadWriter(std::unique_ptr<Writer> chain, std::string metadata_name,
                           std::string known_sha256, std::shared_ptr<LateMetadata> late)
    : chain_(std::move(chain)),
      metadata_name_(std::move(metadata_name)),
      sha256_(std::move(known_sha256)),
      late_(std::move(late)) {}

void UploadWriter::Close() {
  try {
    chain_->Close();
  } catch (...) {
    stats::CountUploadedFile(false);
    throw;
  }
  stats::CountUploadedFile(true);
  if (!sha256_.empty()) {
    kept_ = true;  // sent with the object's metadata from the start
    return;
  }
  // The chain's Close() returned: whichever thread ran the ChecksumWriter and the storage
  // writer's Close() has finished with `late_`.
  auto it = late_->values.find(metadata_name_);
  if (it != late_->values.end()) sha256_ = it->second;
  kept_ = late_->kept;
}

}  // namespace walnut
