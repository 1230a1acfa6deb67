#include "postgres/libpq_api.h"

#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "postgres/pg_connection.h"

namespace walnut::pg {
namespace {

// libpq is loaded with dlopen, not linked: the functions must be real ones.
TEST(LibpqApiTest, LoadsRealFunctions) {
  const LibpqApi& pq = Libpq();
  EXPECT_EQ(&pq, &Libpq());
  // A connection string libpq rejects before any network traffic exercises several functions.
  PGconn* conn = pq.connectdb("walnut_no_such_option=1");
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(pq.status(conn), CONNECTION_BAD);
  EXPECT_NE(std::string(pq.error_message(conn)).find("walnut_no_such_option"), std::string::npos)
      << pq.error_message(conn);
  EXPECT_EQ(pq.server_version(conn), 0);
  pq.finish(conn);
}

TEST(LibpqApiTest, PgConnectionReportsLibpqsReasonOnOneLine) {
  try {
    PgConnection connection("walnut_no_such_option=1");
    FAIL() << "connected with an invalid option";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
    std::string message = e.what();
    EXPECT_NE(message.find("cannot connect to PostgreSQL"), std::string::npos) << message;
    EXPECT_NE(message.find("walnut_no_such_option"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace walnut::pg
