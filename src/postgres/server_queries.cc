#include "postgres/server_queries.h"

#include <exception>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "postgres/lsn.h"

namespace walnut::pg {

uint64_t EstimateDatabaseBytes(PgConnection& connection) {
  try {
    return std::stoull(connection.QueryValue(
        "SELECT coalesce(sum(pg_database_size(oid)), 0)::bigint FROM pg_database"));
  } catch (const std::exception& e) {
    spdlog::debug("no size estimate for the progress line: {}", e.what());
    return 0;
  }
}

WalSegment QueryCurrentWalSegment(PgConnection& connection, uint64_t segment_size) {
  if (connection.server_version() < 100000) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("wal-verify needs PostgreSQL 10 or later; the server is {}",
                            connection.server_version()));
  }
  QueryResult result = connection.Query(
      "SELECT CASE WHEN pg_is_in_recovery() "
      "THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) "
      "ELSE pg_current_wal_lsn() END AS lsn, "
      "CASE WHEN pg_is_in_recovery() THEN NULL "
      "ELSE pg_walfile_name(pg_current_wal_lsn()) END AS walfile, "
      "(SELECT timeline_id FROM pg_control_checkpoint()) AS checkpoint_timeline");
  Lsn lsn = ParseLsn(result.Get(0, "lsn"));
  TimelineId timeline = 0;
  // On a primary the WAL file name carries the timeline being written, which after a promotion
  // is ahead of the last checkpoint's.
  if (result.rows.at(0).at(1)) {
    std::optional<WalSegment> named = ParseWalFileName(*result.rows[0][1], segment_size);
    if (!named) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("the server's WAL file name '{}' is not one", *result.rows[0][1]));
    }
    timeline = named->timeline;
  } else {
    timeline = static_cast<TimelineId>(std::stoul(result.Get(0, "checkpoint_timeline")));
  }
  if (lsn == 0) throw Error(ErrorCode::kProtocol, "the server reports WAL position 0/0");
  return WalSegment{timeline, LsnToSegment(lsn - 1, segment_size)};
}

}  // namespace walnut::pg
