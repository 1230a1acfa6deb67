// OpenPGP's settings: WALG_PGP_KEY inline (WAL-G's \\n escapes), WALG_PGP_KEY_PATH (armoured or
// binary), WALG_PGP_KEY_PASSPHRASE, and their one-line errors. Keys come from real gpg.
#include "pipeline/crypto/pgp_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "config/config.h"
#include "io/memory_stream.h"
#include "pipeline/crypter_registry.h"
#include "support/gpg_home.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace walnut::testing;

[[maybe_unused]] const bool kRegistered = [] {
  for (std::span<const SettingSpec> list : CrypterSettingSpecLists()) RegisterSettingSpecs(list);
  return true;
}();

class PgpSettingsTest : public ::testing::Test {
 protected:
  GpgTestKeys keys_;
};

std::string EncryptAll(const Crypter& crypter, const std::string& plain) {
  auto sink = std::make_unique<MemoryWriter>();
  MemoryWriter* out = sink.get();
  auto writer = crypter.WrapEncrypt(std::move(sink));
  WriteInRandomChunks(*writer, plain);
  return out->data();
}

std::string Decrypt(const Crypter& crypter, const std::string& cipher) {
  auto reader = crypter.WrapDecrypt(std::make_unique<MemoryReader>(cipher));
  return ReadAll(*reader);
}

std::shared_ptr<const Crypter> LoadFrom(const Environment& env) {
  return LoadCrypter(Config({}, env));
}

std::string SettingsError(const Environment& env) {
  try {
    LoadFrom(env);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "settings were accepted";
  return "";
}

TEST_F(PgpSettingsTest, SettingsInlineKeyWithEscapedNewlinesOrAFile) {
  std::string armoured = keys_.ExportSecret(GpgTestKeys::kAlice, "");
  std::string one_line;
  for (char c : armoured) one_line += c == '\n' ? std::string("\\n") : std::string(1, c);
  ASSERT_EQ(one_line.find('\n'), std::string::npos);
  std::string plain = RandomBytes(3000, 11);
  std::string cipher = keys_.Encrypt(GpgTestKeys::kAlice, plain);

  auto inline_key = LoadFrom({{"WALG_PGP_KEY", one_line}});
  ASSERT_NE(inline_key, nullptr);
  EXPECT_EQ(inline_key->Name(), "openpgp");
  EXPECT_TRUE(Decrypt(*inline_key, cipher) == plain);

  std::string binary_path = keys_.File("alice.sec.gpg");
  WriteFile(binary_path, keys_.ExportSecret(GpgTestKeys::kAlice, "", false));
  EXPECT_TRUE(Decrypt(*LoadFrom({{"WALG_PGP_KEY_PATH", binary_path}}), cipher) == plain);

  std::string bob_path = keys_.File("bob.sec.asc");
  WriteFile(bob_path, keys_.ExportSecret(GpgTestKeys::kBob, GpgTestKeys::kPassphrase));
  std::string bob_cipher = keys_.Encrypt(GpgTestKeys::kBob, plain);
  EXPECT_TRUE(Decrypt(*LoadFrom({{"WALG_PGP_KEY_PATH", bob_path},
                                 {"WALG_PGP_KEY_PASSPHRASE", GpgTestKeys::kPassphrase}}),
                      bob_cipher) == plain);
}

TEST_F(PgpSettingsTest, BadSettingsFailInOneLineWithoutSecrets) {
  std::string garbage_path = keys_.File("not-a-key.asc");
  WriteFile(garbage_path, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all\n");
  EXPECT_EQ(SettingsError({{"WALG_PGP_KEY_PATH", garbage_path}}),
            "WALG_PGP_KEY_PATH " + garbage_path +
                ": holds no OpenPGP key; give an ASCII-armoured or binary key as gpg --export "
                "(public, to push) or gpg --export-secret-keys (secret, to fetch) writes it");
  EXPECT_THAT(SettingsError({{"WALG_PGP_KEY_PATH", keys_.File("missing.asc")}}),
              HasSubstr("WALG_PGP_KEY_PATH: cannot open key file"));
  std::string huge_path = keys_.File("huge.asc");
  WriteFile(huge_path, std::string((4 << 20) + 1, 'k'));
  EXPECT_EQ(SettingsError({{"WALG_PGP_KEY_PATH", huge_path}}),
            "WALG_PGP_KEY_PATH: key file " + huge_path +
                " is larger than 4194304 bytes; it should hold only the OpenPGP key");
  std::string secret_text = "s3cr3t-key-text-that-is-no-key";
  std::string e = SettingsError({{"WALG_PGP_KEY", secret_text}});
  EXPECT_THAT(e, HasSubstr("WALG_PGP_KEY: holds no OpenPGP key"));
  EXPECT_THAT(e, Not(HasSubstr(secret_text)));
  EXPECT_THAT(SettingsError({{"WALG_PGP_KEY", "x"}, {"WALG_PGP_KEY_PATH", garbage_path}}),
              HasSubstr("WALG_PGP_KEY_PATH"));
  EXPECT_THAT(SettingsError({{"WALG_PGP_KEY_PATH", garbage_path},
                             {"WALG_LIBSODIUM_KEY", "0123456789abcdef0123456789abcdef"}}),
              HasSubstr("both libsodium and openpgp encryption are configured"));
}

TEST_F(PgpSettingsTest, GpgKeyIdExportsFromTheUsersKeyringWhenNeeded) {
  // WAL-G's deprecated WALG_GPG_KEY_ID (WAL-E's WALE_GPG_KEY_ID): gpg from PATH, in its default
  // home, exports the public key for uploads and the secret key (with the passphrase given on
  // its standard input) for downloads.
  keys_.Need(GpgTestKeys::kBob);
  ASSERT_EQ(setenv("GNUPGHOME", keys_.home().c_str(), 1), 0);
  std::string plain = RandomBytes(30000, 12);
  auto crypter = LoadFrom({{"WALE_GPG_KEY_ID", GpgTestKeys::kBob},
                           {"WALG_PGP_KEY_PASSPHRASE", GpgTestKeys::kPassphrase}});
  ASSERT_NE(crypter, nullptr);
  EXPECT_EQ(crypter->Name(), "openpgp");
  std::string cipher = EncryptAll(*crypter, plain);
  EXPECT_TRUE(keys_.Decrypt(cipher, GpgTestKeys::kPassphrase) == plain);
  EXPECT_TRUE(Decrypt(*crypter, keys_.Encrypt(GpgTestKeys::kBob, plain)) == plain);

  // A key the keyring lacks: one line naming the setting and the id, at the first use.
  auto missing = LoadFrom({{"WALG_GPG_KEY_ID", "nobody@walnut.invalid"}});
  Error e = ExpectError([&] { EncryptAll(*missing, plain); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("WALG_GPG_KEY_ID: gpg exported no public key for key "
                                  "nobody@walnut.invalid"));
  EXPECT_THAT(e.what(), Not(HasSubstr("\n")));
  // The wrong passphrase.
  auto wrong = LoadFrom(
      {{"WALG_GPG_KEY_ID", GpgTestKeys::kBob}, {"WALG_PGP_KEY_PASSPHRASE", "wrong-passphrase"}});
  Error w = ExpectError([&] { Decrypt(*wrong, keys_.Encrypt(GpgTestKeys::kBob, plain)); });
  EXPECT_EQ(w.code(), ErrorCode::kInvalidArgument);
  // gpg refuses the export, or (its agent having the passphrase cached) exports the key, which
  // the passphrase then does not unlock.
  EXPECT_THAT(w.what(), ::testing::AnyOf(HasSubstr("WALG_GPG_KEY_ID: gpg exported no secret key"),
                                         HasSubstr("WALG_PGP_KEY_PASSPHRASE: does not unlock")));
  EXPECT_THAT(w.what(), Not(HasSubstr("wrong-passphrase")));
  EXPECT_THAT(SettingsError({{"WALG_GPG_KEY_ID", "x"}, {"WALG_PGP_KEY", "y"}}),
              HasSubstr("WALG_GPG_KEY_ID"));
  unsetenv("GNUPGHOME");
}

}  // namespace
}  // namespace walnut
