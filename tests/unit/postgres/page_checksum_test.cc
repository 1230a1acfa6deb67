#include "postgres/page_checksum.h"

#include <string>

#include <gtest/gtest.h>

#include "support/test_config.h"
#include "support/test_util.h"

namespace walnut::pg {
namespace {

// Pages copied from a cluster made by `initdb --data-checksums` (PostgreSQL 15), which
// `pg_checksums --check` accepted: block 3 of pg_class (base/1/1259) and block 0 of pg_database.
std::string Fixture(const std::string& name) {
  return testing::ReadFile(std::string(WALNUT_TEST_SOURCE_DIR) + "/tests/unit/postgres/testdata/" +
                           name);
}

ConstByteSpan Span(const std::string& page) { return AsBytes(page); }

TEST(PageChecksumTest, MatchesPostgresOnRealPages) {
  std::string pg_class = Fixture("pg_class_block3.page");
  std::string pg_database = Fixture("pg_database_block0.page");
  ASSERT_EQ(pg_class.size(), kBlockSize);
  ASSERT_EQ(pg_database.size(), kBlockSize);
  EXPECT_NE(PageStoredChecksum(Span(pg_class)), 0);
  EXPECT_EQ(PageChecksum(Span(pg_class), 3), PageStoredChecksum(Span(pg_class)));
  EXPECT_EQ(PageChecksum(Span(pg_database), 0), PageStoredChecksum(Span(pg_database)));
  EXPECT_EQ(CheckPage(Span(pg_class), 3, ~Lsn{0}), PageCheck::kValid);
}

TEST(PageChecksumTest, TheBlockNumberIsPartOfTheChecksum) {
  std::string page = Fixture("pg_class_block3.page");
  EXPECT_NE(PageChecksum(Span(page), 4), PageStoredChecksum(Span(page)));
  EXPECT_EQ(CheckPage(Span(page), 4, ~Lsn{0}), PageCheck::kCorrupt);
}

TEST(PageChecksumTest, DetectsACorruptedByteAnywhere) {
  std::string page = Fixture("pg_class_block3.page");
  for (size_t offset : {size_t{20}, size_t{4000}, kBlockSize - 1}) {
    std::string bad = page;
    bad[offset] = static_cast<char>(bad[offset] ^ 0x10);
    EXPECT_EQ(CheckPage(Span(bad), 3, ~Lsn{0}), PageCheck::kCorrupt) << offset;
  }
  // The checksum field itself does not take part in the sum.
  EXPECT_EQ(PageChecksum(Span(page), 3), [&] {
    std::string copy = page;
    copy[8] = 0;
    copy[9] = 0;
    return PageChecksum(Span(copy), 3);
  }());
}

TEST(PageChecksumTest, NewPagesAndPagesWrittenDuringTheBackupAreNotJudged) {
  std::string zeros(kBlockSize, '\0');
  EXPECT_EQ(CheckPage(Span(zeros), 0, 0), PageCheck::kNew);

  std::string page = Fixture("pg_class_block3.page");
  page[100] = static_cast<char>(page[100] ^ 1);  // torn or changed
  Lsn lsn = PageLsn(Span(page));
  EXPECT_GT(lsn, 0u);
  EXPECT_EQ(CheckPage(Span(page), 3, lsn), PageCheck::kNewerThanStart);
  EXPECT_EQ(CheckPage(Span(page), 3, lsn + 1), PageCheck::kCorrupt);
}

}  // namespace
}  // namespace walnut::pg
