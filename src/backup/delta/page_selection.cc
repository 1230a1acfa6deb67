#include "backup/delta/page_selection.h"

#include "postgres/page_checksum.h"

namespace walnut {

PageDelta ClassifyPageForDelta(ConstByteSpan page, pg::Lsn base_start_lsn) {
  if (pg::PageUpper(page) == 0) return PageDelta::kChanged;  // new: extended, never initialised
  if (!pg::PageHeaderIsSane(page)) return PageDelta::kInvalid;
  return pg::PageLsn(page) >= base_start_lsn ? PageDelta::kChanged : PageDelta::kUnchanged;
}

}  // namespace walnut
