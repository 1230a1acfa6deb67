#include "postgres/pg_connection.h"

#include <fmt/format.h>

#include "common/error.h"
#include "postgres/libpq_api.h"

namespace walnut::pg {
namespace {

// libpq's messages end with a newline and may span lines; errors here are one line.
std::string OneLine(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

const std::string& QueryResult::Get(size_t row, std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] != column) continue;
    if (row < rows.size() && rows[row][i]) return *rows[row][i];
    break;
  }
  throw Error(ErrorCode::kProtocol,
              fmt::format("the server's answer has no value for '{}' in row {}", column, row));
}

PgConnection::PgConnection(const std::string& conninfo) {
  const LibpqApi& pq = Libpq();
  conn_ = pq.connectdb(conninfo.c_str());
  if (conn_ == nullptr) throw Error(ErrorCode::kInternal, "libpq could not allocate a connection");
  if (pq.status(conn_) != CONNECTION_OK) {
    std::string reason = OneLine(pq.error_message(conn_));
    pq.finish(conn_);
    conn_ = nullptr;
    throw Error(ErrorCode::kNetwork,
                fmt::format("cannot connect to PostgreSQL: {} (check PGHOST, PGPORT, PGUSER, "
                            "PGDATABASE and PGPASSWORD)",
                            reason));
  }
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) Libpq().finish(conn_);
}

QueryResult PgConnection::Query(std::string_view sql, const std::vector<std::string>& params) {
  const LibpqApi& pq = Libpq();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  std::string statement(sql);
  PGresult* res = pq.exec_params(conn_, statement.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
  std::unique_ptr<PGresult, void (*)(PGresult*)> guard(res, pq.clear);
  ExecStatusType status = res ? pq.result_status(res) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("PostgreSQL refused '{}': {}", statement,
                            OneLine(res ? pq.result_error_message(res) : pq.error_message(conn_))));
  }
  QueryResult result;
  int ncols = pq.nfields(res);
  int nrows = pq.ntuples(res);
  for (int c = 0; c < ncols; ++c) result.columns.emplace_back(pq.fname(res, c));
  result.rows.resize(nrows);
  for (int r = 0; r < nrows; ++r) {
    for (int c = 0; c < ncols; ++c) {
      if (pq.getisnull(res, r, c)) {
        result.rows[r].emplace_back(std::nullopt);
      } else {
        result.rows[r].emplace_back(std::string(pq.getvalue(res, r, c), pq.getlength(res, r, c)));
      }
    }
  }
  return result;
}

std::string PgConnection::QueryValue(std::string_view sql, const std::vector<std::string>& params) {
  QueryResult result = Query(sql, params);
  if (result.rows.size() != 1 || result.columns.size() != 1 || !result.rows[0][0]) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("PostgreSQL answered '{}' with {} rows, expected one value", sql,
                            result.rows.size()));
  }
  return *result.rows[0][0];
}

int PgConnection::server_version() const { return Libpq().server_version(conn_); }

}  // namespace walnut::pg
