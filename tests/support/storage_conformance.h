#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "storage/storage.h"

namespace walnut::testing {

// How the conformance suite gets a storage to test.
struct StorageFactory {
  std::string name;  // the test-name suffix: letters, digits and '_' only
  // Returns a fresh, empty storage for each test (e.g. a new temporary directory, or a unique
  // prefix in a bucket), or nullptr to skip the suite (a server that is not configured).
  std::function<std::unique_ptr<Storage>()> make;
  // Why make() may give nullptr, for the skip message.
  std::string skip_reason = "the server is not configured";
};

// Prints the factory's name in test output (instead of its bytes).
void PrintTo(const StorageFactory& factory, std::ostream* os);

// The one behavioural contract every Storage backend passes (TEST_P over a factory). Beyond
// storage.h it pins down these details, which backends must implement alike:
// - A range is clipped to the object: a length running past the end returns what is there, an
//   offset at or past the end (or a zero length) gives an empty stream, never an error (an S3
//   backend maps 416 InvalidRange to an empty Reader, and sends no Range header for length 0).
// - Get() itself throws kNotFound (naming the key) for a missing object, not the first Read().
// - Nothing is visible under a key before Close(); the last Close() wins.
// - List() reports in byte-wise key order, common prefixes (ending with '/', is_prefix = true)
//   merged in; a prefix disappears with its last object.
// - Delete() takes any number of keys (more than S3's 1,000 per request) and ignores missing ones.
// - No key is also a prefix of others ("x" and "x/y"): a file system cannot hold both, and WAL-G
//   never makes such pairs.
// - Keys may contain spaces, '+', '=', '%', '&' and non-ASCII UTF-8.
// Each test gets a fresh storage from make(); objects left at the end are deleted.
class StorageConformanceTest : public ::testing::TestWithParam<StorageFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Storage& storage() { return *storage_; }

  std::unique_ptr<Storage> storage_;
};

// Does nothing; referencing it links the metadata cases (storage_conformance_metadata.cc) in.
void LinkMetadataConformanceTests();

// The parameters for one factory. Defined next to the tests, so that referencing it (the macro
// below does) links them in from the static support library.
::testing::internal::ParamGenerator<StorageFactory> StorageConformanceParams(
    StorageFactory factory);

}  // namespace walnut::testing

// gtest pastes the suite name into identifiers, so the macro needs it unqualified.
using StorageConformanceTest = ::walnut::testing::StorageConformanceTest;

// Instantiates the conformance suite for one backend, e.g.
//   WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Fs, StorageFactory{"fs", [] { return ...; }});
// Tests are named Prefix/StorageConformanceTest.<Case>/<factory name>.
#define WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Prefix, ...)                                     \
  INSTANTIATE_TEST_SUITE_P(                                                                     \
      Prefix, StorageConformanceTest, ::walnut::testing::StorageConformanceParams(__VA_ARGS__), \
      [](const ::testing::TestParamInfo<::walnut::testing::StorageFactory>& param_info) {       \
        return param_info.param.name;                                                           \
      })
