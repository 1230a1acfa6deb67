#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "support/cli_runner.h"

namespace walnut::testing {

// The "ERROR: " lines of a command's standard error.
std::vector<std::string> ErrorLines(const CommandResult& r);

// A failure must be reported as exactly one ERROR line, naming every one of `must_contain` (the
// object, file or setting concerned). Adds gtest failures otherwise.
void ExpectOneErrorLine(const CommandResult& r,
                        std::initializer_list<std::string_view> must_contain);
inline void ExpectOneErrorLine(const CommandResult& r, std::string_view must_contain) {
  ExpectOneErrorLine(r, {must_contain});
}

}  // namespace walnut::testing
