#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace walnut::pg {

// The rows of a query, as text (NULL as nullopt).
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  // The value at (row, column name); throws kProtocol when absent or NULL.
  const std::string& Get(size_t row, std::string_view column) const;
};

// One libpq connection to the server being backed up. Settings come from libpq's environment
// (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ...), which the CLI exports from the
// config file too, as WAL-G does. Not thread-safe.
class PgConnection {
 public:
  // Connects; `conninfo` adds to or overrides the environment ("" for none). Throws kNetwork with
  // libpq's one-line reason and what to check.
  explicit PgConnection(const std::string& conninfo = "");
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with text parameters ($1, $2, ...). Throws kProtocol with the server's
  // message when it fails.
  QueryResult Query(std::string_view sql, const std::vector<std::string>& params = {});
  // The single value of a one-row, one-column query; throws when there is not exactly one.
  std::string QueryValue(std::string_view sql, const std::vector<std::string>& params = {});

  // server_version_num, e.g. 150004.
  int server_version() const;

 private:
  pg_conn* conn_ = nullptr;
};

}  // namespace walnut::pg
