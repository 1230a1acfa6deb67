#pragma once

#include <libpq-fe.h>

namespace walnut::pg {

// The libpq functions Walnut uses, resolved from libpq.so.5 at run time. Walnut does not link
// libpq: only commands that talk to the server (backup-push, ...) need it, and its dependencies
// (Kerberos, LDAP) would cost every wal-push and wal-fetch start-up time and memory.
// <libpq-fe.h> still provides the types and constants.
struct LibpqApi {
  decltype(&PQconnectdb) connectdb;
  decltype(&PQstatus) status;
  decltype(&PQerrorMessage) error_message;
  decltype(&PQfinish) finish;
  decltype(&PQexecParams) exec_params;
  decltype(&PQresultStatus) result_status;
  decltype(&PQresultErrorMessage) result_error_message;
  decltype(&PQclear) clear;
  decltype(&PQnfields) nfields;
  decltype(&PQntuples) ntuples;
  decltype(&PQfname) fname;
  decltype(&PQgetisnull) getisnull;
  decltype(&PQgetvalue) getvalue;
  decltype(&PQgetlength) getlength;
  decltype(&PQserverVersion) server_version;
};

// Loads libpq on the first call; later calls return the same table. Thread-safe. Throws Error
// naming libpq.so.5 and the Debian package libpq5 when the library is missing (every call).
const LibpqApi& Libpq();

}  // namespace walnut::pg
