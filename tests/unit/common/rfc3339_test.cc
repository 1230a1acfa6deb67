#include "common/rfc3339.h"

#include <gtest/gtest.h>

#include <ctime>

namespace walnut {
namespace {

// The storage backends read object times with this parser too (S3's LastModified, GCS's
// "updated"): offsets and fractions as Google writes them.
TEST(Rfc3339Test, StorageTimesWithFractionsAndOffsets) {
  auto utc = ParseRfc3339("2026-10-06T12:00:00Z");
  auto offset = ParseRfc3339("2026-10-06T14:00:00+02:00");
  auto fraction = ParseRfc3339("2026-10-06T12:00:00.250Z");
  ASSERT_TRUE(utc && offset && fraction);
  EXPECT_EQ(*utc, *offset);
  EXPECT_EQ(*fraction - *utc, std::chrono::milliseconds(250));
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(utc->time_since_epoch()).count(),
            1791288000);
  for (const char* bad : {"", "2026-10-06", "2026-10-06T12:00:00", "2026-13-06T12:00:00Z",
                          "2026-10-06T12:00:00.Z", "2026-10-06T12:00:00Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

// A server's year 4040 does not fit int64 nanoseconds: refused, never an overflow (the fuzzers
// found the old per-backend parsers multiplying it out of range).
TEST(Rfc3339Test, YearsOutsideTheNanosecondRangeAreRefused) {
  EXPECT_TRUE(ParseRfc3339("2261-12-31T23:59:59Z"));
  EXPECT_TRUE(ParseRfc3339("1678-01-01T00:00:00Z"));
  for (const char* bad : {"2262-04-12T00:00:00Z", "4040-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                          "1677-12-31T23:59:59Z", "0999-01-01T00:00:00+01:00"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace walnut
