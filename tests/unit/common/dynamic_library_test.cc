#include "common/dynamic_library.h"

#include <cmath>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(DynamicLibraryTest, MissingLibraryNamesItWhatNeedsItAndThePackage) {
  try {
    DynamicLibrary::Open("libwalnut-no-such-library.so.7", "the frobnicator", "libfrob7");
    FAIL() << "opening a missing library succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("cannot load libwalnut-no-such-library.so.7"),
                                HasSubstr("the frobnicator"),
                                HasSubstr("install the Debian package libfrob7")));
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
  }
}

TEST(DynamicLibraryTest, ResolvesAFunctionThatWorks) {
  auto libm = DynamicLibrary::Open("libm.so.6", "this test", "libc6");
  decltype(&::cbrt) cube_root = nullptr;
  libm.Load(cube_root, "cbrt");
  ASSERT_NE(cube_root, nullptr);
  EXPECT_DOUBLE_EQ(cube_root(27.0), 3.0);
}

TEST(DynamicLibraryTest, MissingSymbolNamesItAndTheLibrary) {
  auto libm = DynamicLibrary::Open("libm.so.6", "this test", "libc6");
  try {
    libm.Symbol("walnut_no_such_function");
    FAIL() << "resolving a missing symbol succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("libm.so.6 has no function walnut_no_such_function"),
                                HasSubstr("libc6")));
  }
}

int load_calls = 0;
int CountedLoad() { return ++load_calls; }

int failing_calls = 0;
int FailingLoad() {
  ++failing_calls;
  throw std::runtime_error("no such library");
}

TEST(DynamicLibraryTest, LoadOnceRunsTheLoaderOnceAndRemembersItsFailure) {
  EXPECT_EQ((LoadOnce<int, CountedLoad>()), 1);
  EXPECT_EQ((LoadOnce<int, CountedLoad>()), 1);
  EXPECT_EQ(load_calls, 1);

  for (int i = 0; i < 2; ++i) {
    EXPECT_THROW((LoadOnce<int, FailingLoad>()), std::runtime_error);
  }
  EXPECT_EQ(failing_calls, 1);
}

}  // namespace
}  // namespace walnut
