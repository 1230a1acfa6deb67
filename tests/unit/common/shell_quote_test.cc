#include "common/shell_quote.h"

#include <string>

#include <gtest/gtest.h>

#include "support/test_util.h"

namespace walnut {
namespace {

TEST(ShellQuoteTest, QuotesEachSingleQuoteOutsideTheWord) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("/var/lib/walnut"), "'/var/lib/walnut'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
}

// /bin/sh reads every quoted word back as the bytes it was made from.
TEST(ShellQuoteTest, TheShellReadsBackTheSameBytes) {
  for (const std::string& text : {std::string("plain"), std::string("a b\tc"),
                                 std::string("'quoted' \"twice\""), std::string("$HOME `id` \\n;|&*?"),
                                 std::string("line\nfeed"), std::string("''")}) {
    testing::CommandResult r = testing::RunCommand("printf %s " + ShellQuote(text));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, text);
  }
}

}  // namespace
}  // namespace walnut
