#include "postgres/libpq_api.h"

#include "common/dynamic_library.h"

namespace walnut::pg {
namespace {

LibpqApi LoadLibpq() {
  auto library = DynamicLibrary::Open("libpq.so.5", "the connection to PostgreSQL", "libpq5");
  LibpqApi api{};
  library.Load(api.connectdb, "PQconnectdb");
  library.Load(api.status, "PQstatus");
  library.Load(api.error_message, "PQerrorMessage");
  library.Load(api.finish, "PQfinish");
  library.Load(api.exec_params, "PQexecParams");
  library.Load(api.result_status, "PQresultStatus");
  library.Load(api.result_error_message, "PQresultErrorMessage");
  library.Load(api.clear, "PQclear");
  library.Load(api.nfields, "PQnfields");
  library.Load(api.ntuples, "PQntuples");
  library.Load(api.fname, "PQfname");
  library.Load(api.getisnull, "PQgetisnull");
  library.Load(api.getvalue, "PQgetvalue");
  library.Load(api.getlength, "PQgetlength");
  library.Load(api.server_version, "PQserverVersion");
  return api;
}

}  // namespace

const LibpqApi& Libpq() { return LoadOnce<LibpqApi, LoadLibpq>(); }

}  // namespace walnut::pg
