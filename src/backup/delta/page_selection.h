#pragma once

#include "common/bytes.h"
#include "postgres/lsn.h"

namespace walnut {

// What a delta backup does with one 8 KiB page of a relation file that existed in its base
// (WAL-G's full-scan mode, internal/databases/postgres/incremental_page_reader.go).
enum class PageDelta {
  kUnchanged,  // LSN older than the base's start: the base holds this page
  kChanged,    // LSN at or after the base's start, or a new page (pd_upper == 0): stored
  kInvalid,    // not a PostgreSQL page header: the file is stored whole instead
};

// REQUIRES: page.size() == pg::kBlockSize.
PageDelta ClassifyPageForDelta(ConstByteSpan page, pg::Lsn base_start_lsn);

}  // namespace walnut
