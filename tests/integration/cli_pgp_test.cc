// OpenPGP through the built binary with WALG_PGP_KEY_PATH, interoperating with real GnuPG both
// ways: what `st put` and `wal-push` store, gpg decrypts and the command-line codec decompresses;
// what gpg encrypts (as WAL-G's users' tools and WAL-G itself write it), `st get` and `wal-fetch`
// read. For every compression. Plus the one-line errors of a wrong key or passphrase.
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "postgres/wal_file_name.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/gpg_home.h"
#include "support/test_util.h"
#include "support/wal_segments.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr uint64_t kSystemId = 7'311'222'333'444'555'777ull;
constexpr uint64_t kSegmentSize = 16u << 20;

struct Codec {
  std::string method;      // WALG_COMPRESSION_METHOD
  std::string extension;   // of the stored object, with its dot
  std::string decompress;  // the command-line tool, stdin to stdout
  std::string compress;
};

const std::vector<Codec>& AllCodecs() {
  static const std::vector<Codec> codecs = {
      {"lz4", ".lz4", "lz4 -d -c", "lz4 -c"},
      {"zstd", ".zst", "zstd -d -c", "zstd -c"},
      {"brotli", ".br", "brotli -d -c", "brotli -c"},
      {"lzma", ".lzma", "xz --format=lzma -d -c", "xz --format=lzma -c"},
      {"none", "", "cat", "cat"},
  };
  return codecs;
}

class CliPgpTest : public ::testing::Test {
 protected:
  void SetUp() override { cli_.UseFileStorage(); }

  // Writes a key file into the work directory and points WALG_PGP_KEY_PATH at it.
  void UseKeyFile(const std::string& name, const std::string& key) {
    fs::path path = cli_.work().path() / name;
    WriteFile(path, key);
    cli_.Set("WALG_PGP_KEY_PATH", path.string());
  }
  void UseAliceSecret() {
    UseKeyFile("alice.sec.gpg", gpg_.ExportSecret(GpgTestKeys::kAlice, "", /*armor=*/false));
  }
  void UseAlicePublic() { UseKeyFile("alice.pub.asc", gpg_.ExportPublic(GpgTestKeys::kAlice)); }

  // gpg decrypts the stored bytes, the codec's tool decompresses them.
  std::string GpgAndToolRead(const fs::path& stored, const Codec& codec) {
    std::string compressed = gpg_.Decrypt(ReadFile(stored));
    CommandResult r = RunCommand(codec.decompress, compressed);
    EXPECT_EQ(r.exit_code, 0) << codec.method << ": " << r.err;
    return r.out;
  }

  // What WAL-G (or gpg by hand) stores: the codec's tool compresses, gpg encrypts to alice with
  // its default (compressing) settings.
  std::string ToolAndGpgWrite(const std::string& data, const Codec& codec) {
    CommandResult r = RunCommand(codec.compress, data);
    EXPECT_EQ(r.exit_code, 0) << codec.method << ": " << r.err;
    return gpg_.Encrypt(GpgTestKeys::kAlice, r.out);
  }

  std::string Path(const std::string& name) const { return (cli_.work().path() / name).string(); }

  CliRunner cli_;
  GpgTestKeys gpg_;
};

TEST_F(CliPgpTest, StPutAndGetInteroperateWithGpgForEveryCompression) {
  std::string data = CompressibleBytes(2 << 20, 21) + RandomBytes(1 << 20, 22);
  WriteFile(Path("src.bin"), data);
  for (const Codec& codec : AllCodecs()) {
    SCOPED_TRACE(codec.method);
    cli_.Set("WALG_COMPRESSION_METHOD", codec.method);
    // Pushing needs only the public key.
    UseAlicePublic();
    CommandResult put = cli_.Run("st put " + ShellQuote(Path("src.bin")) + " w/" + codec.method);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    fs::path stored = fs::path(cli_.storage_dir()) / ("w/" + codec.method + codec.extension);
    ASSERT_TRUE(fs::exists(stored)) << stored;
    EXPECT_EQ(ReadFile(stored).find(data.substr(0, 64)), std::string::npos);
    EXPECT_TRUE(GpgAndToolRead(stored, codec) == data) << "gpg could not read walnut's object";

    // Fetching needs the secret key; here binary, as gpg --export-secret-keys writes it.
    UseAliceSecret();
    std::string back = Path("back-" + codec.method);
    CommandResult get = cli_.Run("st get w/" + codec.method + codec.extension + " " + back);
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_TRUE(ReadFile(back) == data);

    // An object gpg wrote (no Walnut metadata, as WAL-G's): read with a warning that it could
    // not be verified, but read.
    std::string name = "g/" + codec.method + codec.extension;
    fs::create_directories(fs::path(cli_.storage_dir()) / "g");
    WriteFile(fs::path(cli_.storage_dir()) / name, ToolAndGpgWrite(data, codec));
    std::string from_gpg = Path("from-gpg-" + codec.method);
    CommandResult get_gpg = cli_.Run("st get " + name + " " + from_gpg);
    ASSERT_EQ(get_gpg.exit_code, 0) << get_gpg.err;
    EXPECT_TRUE(ReadFile(from_gpg) == data) << "walnut could not read gpg's object";
  }
}

TEST_F(CliPgpTest, WalPushAndFetchWithAPassphraseProtectedKey) {
  UseKeyFile("bob.sec.asc", gpg_.ExportSecret(GpgTestKeys::kBob, GpgTestKeys::kPassphrase));
  cli_.Set("WALG_PGP_KEY_PASSPHRASE", GpgTestKeys::kPassphrase);
  cli_.Set("WALG_COMPRESSION_METHOD", "lz4");
  fs::path pg_wal = cli_.work().path() / "pg_wal";
  fs::path segment = WriteFakeWalSegment(pg_wal, {1, 1}, kSystemId, true, kSegmentSize);
  std::string name = segment.filename().string();
  CommandResult push = cli_.Run("wal-push " + ShellQuote(segment.string()));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_THAT(push.err, ::testing::Not(HasSubstr(GpgTestKeys::kPassphrase)));

  // gpg (given the passphrase) and lz4 read the archived segment.
  fs::path stored = fs::path(cli_.storage_dir()) / "wal_005" / (name + ".lz4");
  ASSERT_TRUE(fs::exists(stored));
  CommandResult lz4 =
      RunCommand("lz4 -d -c", gpg_.Decrypt(ReadFile(stored), GpgTestKeys::kPassphrase));
  ASSERT_EQ(lz4.exit_code, 0) << lz4.err;
  EXPECT_TRUE(lz4.out == ReadFile(segment));

  CommandResult fetch = cli_.Run("wal-fetch " + name + " " + ShellQuote(Path("restored")));
  ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
  EXPECT_TRUE(ReadFile(Path("restored")) == ReadFile(segment));

  // A segment archived by WAL-G (here: lz4, then gpg to bob) is fetched too.
  std::string next = pg::WalFileName({1, 2}, kSegmentSize);
  std::string wal_g_segment = FakeWalSegment({1, 2}, kSystemId, kSegmentSize);
  CommandResult compressed = RunCommand("lz4 -c", wal_g_segment);
  ASSERT_EQ(compressed.exit_code, 0);
  WriteFile(fs::path(cli_.storage_dir()) / "wal_005" / (next + ".lz4"),
            gpg_.Encrypt(GpgTestKeys::kBob, compressed.out));
  CommandResult fetch_wal_g = cli_.Run("wal-fetch " + next + " " + ShellQuote(Path("next")));
  ASSERT_EQ(fetch_wal_g.exit_code, 0) << fetch_wal_g.err;
  EXPECT_TRUE(ReadFile(Path("next")) == wal_g_segment);
}

TEST_F(CliPgpTest, WaleGpgKeyIdTakesTheKeyFromTheUsersGpgKeyring) {
  // WAL-E's WALE_GPG_KEY_ID (WAL-G's deprecated WALG_GPG_KEY_ID): gpg exports the key from the
  // keyring of GNUPGHOME, as for WAL-G.
  gpg_.Need(GpgTestKeys::kBob);
  cli_.Set("GNUPGHOME", gpg_.home());
  cli_.Set("WALE_GPG_KEY_ID", GpgTestKeys::kBob);
  cli_.Set("WALG_PGP_KEY_PASSPHRASE", GpgTestKeys::kPassphrase);
  std::string data = RandomBytes(500000, 24);
  WriteFile(Path("src.bin"), data);
  CommandResult put = cli_.Run("st put " + ShellQuote(Path("src.bin")) + " k/obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  fs::path stored = fs::path(cli_.storage_dir()) / "k/obj.lz4";
  CommandResult lz4 =
      RunCommand("lz4 -d -c", gpg_.Decrypt(ReadFile(stored), GpgTestKeys::kPassphrase));
  EXPECT_TRUE(lz4.out == data);
  CommandResult get = cli_.Run("st get k/obj.lz4 " + Path("back"));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(Path("back")) == data);

  cli_.Set("WALE_GPG_KEY_ID", "nobody@walnut.invalid");
  CommandResult missing = cli_.Run("st put " + ShellQuote(Path("src.bin")) + " k/other");
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  ExpectOneErrorLine(missing, {"WALE_GPG_KEY_ID", "nobody@walnut.invalid"});
}

TEST_F(CliPgpTest, WrongPassphraseWrongKeyAndPublicKeyFailInOneLine) {
  UseKeyFile("bob.sec.asc", gpg_.ExportSecret(GpgTestKeys::kBob, GpgTestKeys::kPassphrase));
  WriteFile(Path("src.bin"), RandomBytes(100000, 23));
  ASSERT_EQ(cli_.Run("st put " + ShellQuote(Path("src.bin")) + " obj").exit_code, 0);

  cli_.Set("WALG_PGP_KEY_PASSPHRASE", "not-the-passphrase");
  CommandResult wrong_passphrase = cli_.Run("st get obj.lz4 " + Path("out"));
  EXPECT_EQ(wrong_passphrase.exit_code, 2) << wrong_passphrase.err;
  ExpectOneErrorLine(wrong_passphrase, {"WALG_PGP_KEY_PASSPHRASE", "does not unlock"});
  EXPECT_THAT(wrong_passphrase.err, ::testing::Not(HasSubstr("not-the-passphrase")));
  EXPECT_FALSE(fs::exists(Path("out")));

  cli_.Unset("WALG_PGP_KEY_PASSPHRASE");
  CommandResult no_passphrase = cli_.Run("st get obj.lz4 " + Path("out"));
  EXPECT_EQ(no_passphrase.exit_code, 2) << no_passphrase.err;
  ExpectOneErrorLine(no_passphrase, {"protected by a passphrase", "WALG_PGP_KEY_PASSPHRASE"});

  UseAliceSecret();
  CommandResult wrong_key = cli_.Run("st get obj.lz4 " + Path("out"));
  EXPECT_EQ(wrong_key.exit_code, 1) << wrong_key.err;
  ExpectOneErrorLine(wrong_key,
                     {"obj.lz4", gpg_.EncryptionSubkeyId(GpgTestKeys::kBob), "WALG_PGP_KEY_PATH"});
  EXPECT_FALSE(fs::exists(Path("out")));

  UseAlicePublic();
  CommandResult public_only = cli_.Run("st get obj.lz4 " + Path("out"));
  EXPECT_EQ(public_only.exit_code, 2) << public_only.err;
  ExpectOneErrorLine(public_only, {"WALG_PGP_KEY_PATH", "no secret key"});

  cli_.Unset("WALG_PGP_KEY_PATH");
  CommandResult no_key = cli_.Run("st get obj.lz4 " + Path("out"));
  EXPECT_NE(no_key.exit_code, 0);
  ExpectOneErrorLine(no_key, {"obj.lz4", "openpgp", "WALG_PGP_KEY"});
}

}  // namespace
}  // namespace walnut::testing
