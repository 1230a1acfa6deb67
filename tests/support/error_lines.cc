#include "support/error_lines.h"

#include <gtest/gtest.h>

namespace walnut::testing {

std::vector<std::string> ErrorLines(const CommandResult& r) {
  std::vector<std::string> errors;
  for (const auto& line : Lines(r.err)) {
    if (line.starts_with("ERROR: ")) errors.push_back(line);
  }
  return errors;
}

void ExpectOneErrorLine(const CommandResult& r,
                        std::initializer_list<std::string_view> must_contain) {
  auto errors = ErrorLines(r);
  ASSERT_EQ(errors.size(), 1u) << "expected one ERROR line in:\n" << r.err;
  for (std::string_view text : must_contain) {
    EXPECT_NE(errors[0].find(text), std::string::npos)
        << "the error does not name '" << text << "': " << errors[0];
  }
}

}  // namespace walnut::testing
