// The built binary with WALG_GS_PREFIX against the scripted GCS server (support/gcs_server.h):
// the st commands (one-request and resumable uploads), wal-push and wal-fetch, a 5xx in the middle
// of a resumable upload, a hanging server, and each way of failing as one ERROR line, a non-zero
// exit and well under 30 s. (wal_push_cli_test, pitr_test and backup_delta_test run their
// scenarios over GCS too.) Not run against real GCS.

#include <chrono>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/gcs_server.h"
#include "support/test_util.h"
#include "support/timed.h"
#include "support/wal_segments.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

int64_t Count(const std::string& name) {
  nlohmann::json counts = SharedGcsServer().Stats()["counts"];
  return counts.contains(name) ? counts[name].get<int64_t>() : 0;
}

TEST(GcsCliTest, StPutGetLsRmRoundTripEncrypted) {
  CliRunner cli;
  cli.UseGcsStorage("st");
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  std::string data = CompressibleBytes(3 << 20, 5) + RandomBytes(1 << 20, 6);
  fs::path src = cli.work().path() / "src.bin";
  WriteFile(src, data);

  auto put = cli.Run("st put " + ShellQuote(src.string()) + " dir/obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  // The same through resumable uploads of 256 KiB chunks.
  cli.Set("GCS_MAX_CHUNK_SIZE", std::to_string(256 << 10));
  int64_t chunks_before = Count("chunk");
  put = cli.Run("st put " + ShellQuote(src.string()) + " dir/big");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_GE(Count("chunk") - chunks_before, 4);

  auto ls = cli.Run("st ls -r");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_THAT(ls.out, HasSubstr("dir/obj.lz4"));
  EXPECT_THAT(ls.out, HasSubstr("dir/big.lz4"));
  for (std::string name : {"obj", "big"}) {
    fs::path dst = cli.work().path() / (name + ".copy");
    auto get = cli.Run("st get dir/" + name + ".lz4 " + ShellQuote(dst.string()));
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_TRUE(ReadFile(dst) == data) << name;
  }
  // Both were verified against the SHA-256 kept in their metadata (a regular file's is hashed
  // first and goes with the upload's first request; a stream's, below, comes by objects.patch).
  for (std::string name : {"obj", "big"}) {
    auto get =
        cli.Run("st get dir/" + name + ".lz4 " + ShellQuote((cli.work().path() / "v").string()));
    EXPECT_THAT(get.err, Not(HasSubstr("could not be verified"))) << name;
    std::filesystem::remove(cli.work().path() / "v");
  }

  auto piped = cli.Run("st put -s piped/obj", "from standard input");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  auto cat = cli.Run("st cat --decrypt --decompress piped/obj.lz4");
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "from standard input");

  auto rm = cli.Run("st rm dir/obj.lz4");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  ls = cli.Run("st ls -r");
  EXPECT_THAT(ls.out, Not(HasSubstr("dir/obj")));
  EXPECT_THAT(ls.out, HasSubstr("piped/obj.lz4"));
  EXPECT_THAT(SharedGcsServer().Rejections(), IsEmpty());
}

// A stream's SHA-256 is known only after its last byte: a resumable upload gets it by an
// objects.patch after the last chunk. With it, reads verify the object; when the patch fails (or
// the process dies before it), the object is still stored whole, st put says it has no digest,
// and reads deliver it with exit 0 and a warning that it could not be verified, never an error.
TEST(GcsCliTest, AStreamsDigestComesByPatchAndWithoutItTheObjectReadsUnverified) {
  CliRunner cli;
  cli.UseGcsStorage("stream-digest");
  cli.Set("GCS_MAX_CHUNK_SIZE", std::to_string(256 << 10));
  std::string data = RandomBytes(1 << 20, 23);
  fs::path dst = cli.work().path() / "dst.bin";

  int64_t patches_before = Count("patch");
  auto put = cli.Run("st put -s patched", data);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(Count("patch") - patches_before, 1);
  EXPECT_THAT(put.err, Not(HasSubstr("stored without its SHA-256")));
  auto get = cli.Run("st get patched.lz4 " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(dst) == data);
  EXPECT_THAT(get.err, Not(HasSubstr("could not be verified")));
  fs::remove(dst);

  cli.Set("GCS_MAX_RETRIES", "0");
  SharedGcsServer().Fault({{"match", "patch"}, {"status", 503}, {"count", 1000}});
  put = cli.Run("st put -s unpatched", data);
  SharedGcsServer().ClearFaults();
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_THAT(put.err, HasSubstr("SHA-256 could not be added to its metadata"));
  EXPECT_THAT(put.err, HasSubstr("unpatched.lz4: stored without its SHA-256"));
  get = cli.Run("st get unpatched.lz4 " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(dst) == data);
  EXPECT_THAT(get.err, HasSubstr("unpatched.lz4: content could not be verified"));
  EXPECT_THAT(get.err, Not(HasSubstr("does not match")));
  EXPECT_THAT(SharedGcsServer().Rejections(), IsEmpty());
}

TEST(GcsCliTest, WalPushThenWalFetch) {
  CliRunner cli;
  cli.UseGcsStorage("wal");
  fs::path pg_wal = cli.work().path() / "pg_wal";
  fs::path segment = WriteFakeWalSegment(pg_wal, {1, 5}, 7000000000000000001ull, true, 16u << 20);
  auto push = cli.Run("wal-push " + ShellQuote(segment.string()));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  fs::path fetched = cli.work().path() / "fetched";
  auto fetch =
      cli.Run("wal-fetch " + segment.filename().string() + " " + ShellQuote(fetched.string()));
  ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
  EXPECT_TRUE(ReadFile(fetched) == ReadFile(segment));
  EXPECT_THAT(fetch.err, Not(HasSubstr("could not be verified")));
  auto missing = cli.Run("wal-fetch 000000010000000000000009 " +
                         ShellQuote((cli.work().path() / "none").string()));
  EXPECT_EQ(missing.exit_code, 74) << missing.err;
  EXPECT_THAT(SharedGcsServer().Rejections(), IsEmpty());
}

TEST(GcsCliTest, A5xxInTheMiddleOfAResumableUploadIsResumed) {
  CliRunner cli;
  cli.UseGcsStorage("fault-5xx");
  cli.Set("GCS_MAX_CHUNK_SIZE", std::to_string(1 << 20));
  cli.Set("WALG_COMPRESSION_METHOD", "zstd");
  std::string data = RandomBytes(5 << 20, 21);
  fs::path src = cli.work().path() / "src.bin";
  WriteFile(src, data);
  // The third chunk: half of it arrives, then 503; then a chunk fails outright.
  SharedGcsServer().Fault({{"match", "chunk"}, {"status", 503}, {"keep_bytes", 512 << 10}});
  SharedGcsServer().Fault({{"match", "chunk"}, {"status", 502}, {"count", 1}});
  int64_t faults_before = Count("fault_chunk");
  auto put = cli.Run("st put " + ShellQuote(src.string()) + " obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(Count("fault_chunk") - faults_before, 2);
  fs::path dst = cli.work().path() / "dst.bin";
  auto get = cli.Run("st get obj.zst " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(dst) == data);
  EXPECT_THAT(SharedGcsServer().Rejections(), IsEmpty());
}

TEST(GcsCliTest, FlagsShowTheSettingsWithTheKeyMasked) {
  CliRunner cli;
  cli.UseGcsStorage("flags");
  cli.Set("GCS_ENCRYPTION_KEY", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=");
  auto r = cli.Run("flags");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--walg-gs-prefix"));
  EXPECT_THAT(r.out, HasSubstr("--storage-emulator-host"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("QUFBQUFB")));
}

class GcsCliFailureTest : public ::testing::Test {
 protected:
  void SetUp() override { cli_.UseGcsStorage("fail"); }

  // `st ls`: one ERROR line naming each of `must_contain`, a non-zero exit, within 30 s.
  void ExpectFailure(std::initializer_list<std::string_view> must_contain) {
    last_ = ExpectFailsInOneLineInTime(cli_, "st ls", must_contain);
  }

  CliRunner cli_;
  CommandResult last_;
};

TEST_F(GcsCliFailureTest, AKeyTheServerRejects) {
  fs::path wrong = cli_.work().path() / "wrong.json";
  WriteFile(wrong, ReadFile(SharedGcsServer().wrong_credentials_file()));
  cli_.Set("GOOGLE_APPLICATION_CREDENTIALS", wrong.string());
  ExpectFailure({wrong.string(), "Invalid JWT Signature"});
  EXPECT_THAT(last_.err, Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(GcsCliFailureTest, AMissingCredentialsFile) {
  cli_.Set("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json");
  ExpectFailure({"GOOGLE_APPLICATION_CREDENTIALS /nonexistent/key.json", "cannot read"});
}

TEST_F(GcsCliFailureTest, NoCredentialsOffGoogleCloud) {
  cli_.Unset("GOOGLE_APPLICATION_CREDENTIALS");
  cli_.Set("GCE_METADATA_HOST", "127.0.0.1:1");
  ExpectFailure({"no GCS credentials", "GOOGLE_APPLICATION_CREDENTIALS"});
}

TEST_F(GcsCliFailureTest, AMissingBucket) {
  cli_.Set("WALG_GS_PREFIX", "gs://no-such-bucket/x");
  ExpectFailure({"no-such-bucket does not exist", "WALG_GS_PREFIX"});
}

TEST_F(GcsCliFailureTest, AnUnreachableHost) {
  cli_.Set("STORAGE_EMULATOR_HOST", "127.0.0.1:1");
  ExpectFailure({"127.0.0.1:1"});
}

TEST_F(GcsCliFailureTest, AServerThatHangs) {
  SharedGcsServer().Fault({{"match", "list"}, {"hang", 40}, {"count", 100}});
  cli_.Set("WALNUT_STORAGE_RETRY_TIMEOUT", "8s");
  ExpectFailure({"gcs objects.list"});
  SharedGcsServer().ClearFaults();
}

TEST_F(GcsCliFailureTest, ABadEncryptionKeySetting) {
  cli_.Set("GCS_ENCRYPTION_KEY", "dG9vLXNob3J0");
  ExpectFailure({"GCS_ENCRYPTION_KEY", "32-byte"});
  EXPECT_THAT(last_.err, Not(HasSubstr("dG9vLXNob3J0")));
}

}  // namespace
}  // namespace walnut::testing
