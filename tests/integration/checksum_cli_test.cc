// Checksums end to end, with the built binary against a directory and the fixture's s3rver: a
// flipped byte in a stored object fails st get and wal-fetch with one line naming the object, never
// exit 0 with wrong bytes; an object without a recorded SHA-256 (as WAL-G writes them) still reads,
// with one line saying that it could not be verified; an encrypted object read without a key asks
// for the key. (backup-fetch: backup_fetch_test.cc.)

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/environment.h"
#include "config/settings.h"
#include "storage/registry/storage_registry.h"
#include "storage/storage.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/object_damage.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMismatch = "content does not match its recorded SHA-256";
constexpr std::string_view kUnverified = "content could not be verified";
constexpr uint64_t kSegmentSize = 1 << 20;

struct Case {
  std::string name;
  bool s3;
  std::string method;
  bool encrypt;
};

size_t LinesWith(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (const std::string& line : Lines(text)) n += line.find(needle) != std::string::npos;
  return n;
}

class ChecksumCliIt : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const Case& c = GetParam();
    if (c.s3) {
      cli_.UseS3Storage("checksum-" + c.name);
    } else {
      cli_.UseFileStorage();
    }
    cli_.Set("WALG_COMPRESSION_METHOD", c.method);
    cli_.Set("WALG_PG_WAL_SIZE", "1");
    cli_.Set("WALG_DOWNLOAD_CONCURRENCY", "1");  // no prefetcher
    cli_.Set("WALG_DOWNLOAD_FILE_RETRIES", "1");
    if (c.encrypt) {
      cli_.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
      cli_.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
    }
    const Environment env(cli_.variables().begin(), cli_.variables().end());
    const Config config({}, env);
    storage_ = OpenStorage(config, LoadSettings(config));
  }

  std::string Object(const std::string& name) const {
    return name + ExtensionOf(GetParam().method);
  }
  // Uploads `data` as `name` with `st put` (compressed and encrypted as configured).
  void Put(const std::string& name, const std::string& data) {
    fs::path src = cli_.work().path() / "src";
    WriteFile(src, data);
    auto r = cli_.Run("st put -f " + ShellQuote(src.string()) + " " + name);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  fs::path Destination() const { return cli_.work().path() / "out"; }
  CommandResult Get(const std::string& object) {
    fs::remove(Destination());
    return cli_.Run("st get " + object + " " + ShellQuote(Destination().string()));
  }
  std::string SegmentName() const { return pg::WalFileName({1, 3}, kSegmentSize); }
  std::string Segment() const { return FakeWalSegment({1, 3}, 7000000000000000009, kSegmentSize); }
  CommandResult WalFetch() {
    fs::remove(Destination());
    return cli_.Run("wal-fetch " + SegmentName() + " " + ShellQuote(Destination().string()));
  }
  // Only the SHA-256 can notice this damage: no codec check, no authentication tag.
  bool OnlyTheSha256Sees() const { return GetParam().method == "none" && !GetParam().encrypt; }

  CliRunner cli_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(ChecksumCliIt, StGetOfAFlippedByteFailsNamingTheObject) {
  const std::string data = CompressibleBytes(1 << 20, 3) + RandomBytes(1 << 20, 4);
  Put("dir/obj", data);
  RewriteObject(*storage_, Object("dir/obj"), FlipMiddleBit);
  auto r = Get(Object("dir/obj"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, Object("dir/obj"));
  if (OnlyTheSha256Sees()) {
    EXPECT_NE(r.err.find(kMismatch), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(Destination()));
}

TEST_P(ChecksumCliIt, StGetOfATruncatedObjectFails) {
  Put("dir/obj", RandomBytes(300000, 5));
  RewriteObject(*storage_, Object("dir/obj"), [](std::string& b) { b.resize(b.size() - 3); });
  auto r = Get(Object("dir/obj"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, Object("dir/obj"));
  EXPECT_FALSE(fs::exists(Destination()));
}

TEST_P(ChecksumCliIt, StGetOfAnObjectWithoutChecksumSaysItCouldNotBeVerified) {
  const std::string data = CompressibleBytes(200000, 6);
  Put("dir/obj", data);
  RewriteObject(
      *storage_, Object("dir/obj"), [](std::string&) {}, /*keep_metadata=*/false);
  auto r = Get(Object("dir/obj"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadFile(Destination()) == data);
  EXPECT_EQ(LinesWith(r.err, kUnverified), 1u) << r.err;
  EXPECT_EQ(LinesWith(r.err, Object("dir/obj") + ": " + std::string(kUnverified)), 1u) << r.err;
  EXPECT_TRUE(ErrorLines(r).empty()) << r.err;
}

TEST_P(ChecksumCliIt, StGetOfAnEncryptedObjectWithoutAKeyAsksForTheKey) {
  if (!GetParam().encrypt) GTEST_SKIP() << "not encrypted";
  Put("dir/obj", CompressibleBytes(200000, 7));
  cli_.Unset("WALG_LIBSODIUM_KEY");
  auto r = Get(Object("dir/obj"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ExpectOneErrorLine(r, {Object("dir/obj"),
                         "the object is encrypted (libsodium); set WALG_LIBSODIUM_KEY or "
                         "WALG_LIBSODIUM_KEY_PATH"});
  EXPECT_FALSE(fs::exists(Destination()));
}

TEST_P(ChecksumCliIt, WalFetchOfAFlippedByteFailsNamingTheObject) {
  Put("wal_005/" + SegmentName(), Segment());
  RewriteObject(*storage_, "wal_005/" + Object(SegmentName()), FlipMiddleBit);
  auto r = WalFetch();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ExpectOneErrorLine(r, "wal_005/" + Object(SegmentName()));
  if (OnlyTheSha256Sees()) {
    EXPECT_NE(r.err.find(kMismatch), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(Destination()));
}

TEST_P(ChecksumCliIt, WalFetchOfASegmentArchivedByWalGWarnsOnce) {
  // PostgreSQL logs restore_command's stderr: one WARNING per segment reaches its log.
  Put("wal_005/" + SegmentName(), Segment());
  RewriteObject(
      *storage_, "wal_005/" + Object(SegmentName()), [](std::string&) {}, false);
  auto r = WalFetch();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadFile(Destination()) == Segment());
  std::vector<std::string> warnings;
  for (const std::string& line : Lines(r.err)) {
    if (line.starts_with("WARNING: ")) warnings.push_back(line);
  }
  ASSERT_EQ(warnings.size(), 1u) << r.err;
  EXPECT_NE(warnings[0].find("wal_005/" + Object(SegmentName()) + ": " + std::string(kUnverified)),
            std::string::npos)
      << warnings[0];
}

INSTANTIATE_TEST_SUITE_P(Storages, ChecksumCliIt,
                         ::testing::Values(Case{"DirNone", false, "none", false},
                                           Case{"DirBrotliLibsodium", false, "brotli", true},
                                           Case{"DirLz4", false, "lz4", false},
                                           Case{"S3None", true, "none", false},
                                           Case{"S3BrotliLibsodium", true, "brotli", true}),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

// A stream too large for one PutObject cannot take its SHA-256 on S3 (metadata goes before the
// first part): st put says so instead of pretending, and the object reads as unverified. A
// directory keeps it.
TEST(ChecksumStreamIt, AStreamedMultipartObjectOnS3IsSaidToBeUnverified) {
  for (bool s3 : {true, false}) {
    CliRunner cli;
    if (s3) {
      cli.UseS3Storage("checksum-stream");
    } else {
      cli.UseFileStorage();
    }
    cli.Set("WALG_COMPRESSION_METHOD", "none");
    const std::string data = RandomBytes(12 << 20, 8);
    auto put = cli.Run("st put - big", data);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    EXPECT_EQ(LinesWith(put.err, "stored without its SHA-256"), s3 ? 1u : 0u) << put.err;
    fs::path out = cli.work().path() / "out";
    auto get = cli.Run("st get big " + ShellQuote(out.string()));
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_TRUE(ReadFile(out) == data);
    EXPECT_EQ(LinesWith(get.err, kUnverified), s3 ? 1u : 0u) << get.err;
  }
}

}  // namespace
}  // namespace walnut::testing
