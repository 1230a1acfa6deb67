#pragma once

#include <cstdint>

#include "postgres/pg_connection.h"
#include "postgres/wal_file_name.h"

// Questions Walnut's commands ask a running server, kept here so that the SQL lives in postgres/
// and commands only call.
namespace walnut::pg {

// The sum of pg_database_size() over every database: what a base backup will roughly read, for
// a progress line. 0 when the server cannot say (a role without the privilege): the estimate is
// only ever shown, never relied on.
uint64_t EstimateDatabaseBytes(PgConnection& connection);

// The segment the server is writing, as WAL-G's QueryCurrentWalSegment: the segment of the
// current LSN - 1 (a server at a segment boundary has not written into the next one yet). On a
// standby, the WAL received (or replayed, when WAL comes from restore_command only) and the
// timeline of its last restartpoint. Throws kUnsupported before PostgreSQL 10, kProtocol on an
// answer that makes no sense.
WalSegment QueryCurrentWalSegment(PgConnection& connection, uint64_t segment_size);

}  // namespace walnut::pg
