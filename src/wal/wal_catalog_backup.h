#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "postgres/wal_file_name.h"

namespace walnut::wal {

// A base backup as the WAL checks see it. The caller (the CLI, which reads the sentinels) fills
// it: this module sits below the backup module and never reads backup metadata itself.
struct WalBackupRef {
  std::string name;
  // The timeline and segment of the backup's name (WAL-G's WalFileName of the start).
  pg::TimelineId timeline = 0;
  pg::SegmentNo start_segno = 0;
  // The segment of the backup's finish LSN, on the same timeline.
  pg::SegmentNo finish_segno = 0;
  // Marked permanent: `delete` keeps it but not the WAL after it (WAL-G's
  // internal/databases/postgres/delete.go).
  bool permanent = false;
  // What wal-show --detailed-json prints for it (backup-list --detail's object); may be null.
  nlohmann::ordered_json detail;
};

}  // namespace walnut::wal
