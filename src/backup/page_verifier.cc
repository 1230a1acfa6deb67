#include "backup/page_verifier.h"

#include <algorithm>

namespace walnut {

PageVerifier::PageVerifier(uint32_t first_block, pg::Lsn backup_start_lsn)
    : first_block_(first_block), start_lsn_(backup_start_lsn) {}

void PageVerifier::CheckPage(ConstByteSpan page) {
  uint32_t index = page_index_++;
  if (pg::CheckPage(page, first_block_ + index, start_lsn_) != pg::PageCheck::kCorrupt) return;
  ++corrupt_count_;
  if (corrupt_.size() < max_recorded_) corrupt_.push_back(index);
}

void PageVerifier::Update(ConstByteSpan data) {
  if (!partial_.empty()) {
    size_t take = std::min(data.size(), pg::kBlockSize - partial_.size());
    partial_.insert(partial_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
    data = data.subspan(take);
    if (partial_.size() < pg::kBlockSize) return;
    CheckPage(partial_);
    partial_.clear();
  }
  while (data.size() >= pg::kBlockSize) {
    CheckPage(data.first(pg::kBlockSize));
    data = data.subspan(pg::kBlockSize);
  }
  partial_.assign(data.begin(), data.end());
}

}  // namespace walnut
