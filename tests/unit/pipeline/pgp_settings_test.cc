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

}  // namespace
}  // namespace walnut
