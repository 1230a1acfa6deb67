#pragma once

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "support/rgw_bucket.h"

namespace walnut::testing {

// Where a test's archive lives (WalnutConfig, CliRunner::UseStorage): a directory, the fixture's
// s3rver, a bucket of its own on the fixture's Ceph RGW (a real S3 checking signatures; see
// support/rgw_bucket.h), or a directory of its own on the fixture's OpenSSH server over SFTP
// (support/sshd_server.h), a root of its own in the fixture's azurite container
// (support/azurite_server.h), or a prefix of its own on the scripted GCS server of the test process
// (support/gcs_server.h).
enum class TestStorage { kDirectory, kS3, kRgw, kSftp, kAzure, kGcs };

// "Directory", "S3rver", "Rgw": for test names.
inline std::string TestStorageName(TestStorage storage) {
  switch (storage) {
    case TestStorage::kDirectory:
      return "Directory";
    case TestStorage::kS3:
      return "S3rver";
    case TestStorage::kRgw:
      return "Rgw";
    case TestStorage::kSftp:
      return "Sftp";
    case TestStorage::kAzure:
      return "Azurite";
    case TestStorage::kGcs:
      return "Gcs";
  }
  return "Unknown";
}
inline void PrintTo(TestStorage storage, std::ostream* os) { *os << TestStorageName(storage); }

// The S3 servers a scenario runs against (TEST_P over these); kRgw cases skip without RGW.
inline constexpr TestStorage kS3Servers[] = {TestStorage::kS3, TestStorage::kRgw};
// Names the cases of a TEST_P over TestStorage after the server (".../Rgw", not ".../1"), as the
// last argument of INSTANTIATE_TEST_SUITE_P(S3Servers, MyTest, ValuesIn(kS3Servers), ...).
inline std::string TestStorageParamName(const ::testing::TestParamInfo<TestStorage>& info) {
  return TestStorageName(info.param);
}

// In a TEST body or SetUp: skips the test when `storage` is an RGW that is not configured (fails
// it when the build requires RGW: see RgwFromEnv).
#define WALNUT_SKIP_UNLESS_AVAILABLE(storage)                                                  \
  do {                                                                                         \
    if ((storage) == ::walnut::testing::TestStorage::kRgw && !::walnut::testing::RgwFromEnv()) \
      GTEST_SKIP() << ::walnut::testing::kRgwSkipMessage;                                      \
  } while (0)

}  // namespace walnut::testing
