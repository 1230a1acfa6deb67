#include "pipeline/crypto/sodium_key.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>

#include "crypto_test_util.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace walnut::testing;

constexpr char kSetting[] = "WALG_LIBSODIUM_KEY";

std::string KeyBytes(const SodiumKey& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), SodiumKey::kSize);
}

// Loading must fail with kInvalidArgument, name the setting, and never echo the material (nor a
// recognisable piece of it).
std::string ExpectRejected(std::string_view material, SodiumKeyTransform transform) {
  try {
    LoadSodiumKey(material, transform, kSetting);
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << message;
    EXPECT_THAT(message, HasSubstr(kSetting));
    if (material.size() >= 6) {
      for (size_t i = 0; i + 6 <= material.size(); i += 3) {
        EXPECT_THAT(message, Not(HasSubstr(material.substr(i, 6)))) << "leaks key material";
      }
    }
    return message;
  }
  ADD_FAILURE() << "key accepted";
  return "";
}

TEST(SodiumKeyTransformTest, Names) {
  EXPECT_EQ(SodiumKeyTransformFromName("none"), SodiumKeyTransform::kNone);
  EXPECT_EQ(SodiumKeyTransformFromName(""), SodiumKeyTransform::kNone);
  EXPECT_EQ(SodiumKeyTransformFromName("hex"), SodiumKeyTransform::kHex);
  EXPECT_EQ(SodiumKeyTransformFromName("base64"), SodiumKeyTransform::kBase64);
  EXPECT_EQ(SodiumKeyTransformFromName("HEX"), std::nullopt);
  EXPECT_EQ(SodiumKeyTransformFromName("b64"), std::nullopt);
}

TEST(SodiumKeyTest, NoneUsesExactly32BytesAsIs) {
  std::string material = "0123456789abcdefghijklmnopqrstuv";
  ASSERT_EQ(material.size(), 32u);
  EXPECT_EQ(KeyBytes(LoadSodiumKey(material, SodiumKeyTransform::kNone, kSetting)), material);
}

TEST(SodiumKeyTest, NoneCutsLongKeysTo32Bytes) {
  std::string material = "0123456789abcdefghijklmnopqrstuvwxyz-and-more";
  EXPECT_EQ(KeyBytes(LoadSodiumKey(material, SodiumKeyTransform::kNone, kSetting)),
            material.substr(0, 32));
  // So both spellings are the same key, as in WAL-G.
  SodiumCrypter long_key(LoadSodiumKey(material, SodiumKeyTransform::kNone, kSetting));
  SodiumCrypter cut_key(LoadSodiumKey(material.substr(0, 32), SodiumKeyTransform::kNone, kSetting));
  EXPECT_EQ(Decrypt(cut_key, Encrypt(long_key, "payload")), "payload");
}

TEST(SodiumKeyTest, NonePadsKeysOf25To31BytesWithZeros) {
  for (size_t size = 25; size < 32; ++size) {
    std::string material = RandomBytes(size, size);
    std::string expected = material + std::string(32 - size, '\0');
    EXPECT_EQ(KeyBytes(LoadSodiumKey(material, SodiumKeyTransform::kNone, kSetting)), expected);
  }
}

TEST(SodiumKeyTest, NoneRejectsKeysShorterThan25Bytes) {
  EXPECT_THAT(ExpectRejected("correct-horse-battery-24", SodiumKeyTransform::kNone),
              HasSubstr("at least 25 bytes"));
  EXPECT_THAT(ExpectRejected("x", SodiumKeyTransform::kNone), HasSubstr("(got 1)"));
  EXPECT_THAT(ExpectRejected("", SodiumKeyTransform::kNone), HasSubstr("empty"));
}

TEST(SodiumKeyTest, HexDecodesEitherCase) {
  std::string expected = RandomBytes(32, 5);
  std::string lower;
  for (unsigned char c : expected) lower += fmt::format("{:02x}", c);
  std::string upper;
  for (char c : lower) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(KeyBytes(LoadSodiumKey(lower, SodiumKeyTransform::kHex, kSetting)), expected);
  EXPECT_EQ(KeyBytes(LoadSodiumKey(upper, SodiumKeyTransform::kHex, kSetting)), expected);
}

TEST(SodiumKeyTest, HexMustDecodeToExactly32Bytes) {
  std::string hex64 = kTestKeyHex;
  EXPECT_THAT(ExpectRejected(hex64.substr(0, 62), SodiumKeyTransform::kHex),
              HasSubstr("exactly 32 bytes"));
  EXPECT_THAT(ExpectRejected(hex64 + "ab", SodiumKeyTransform::kHex), HasSubstr("(got 33 bytes)"));
  EXPECT_THAT(ExpectRejected(hex64.substr(0, 63), SodiumKeyTransform::kHex),
              HasSubstr("not valid hex"));
  std::string bad = hex64;
  bad[10] = 'g';
  EXPECT_THAT(ExpectRejected(bad, SodiumKeyTransform::kHex), HasSubstr("not valid hex"));
  EXPECT_THAT(ExpectRejected(hex64 + "\n", SodiumKeyTransform::kHex), HasSubstr("not valid hex"));
  // A raw 32-character passphrase is not hex.
  ExpectRejected("0123456789abcdefghijklmnopqrstuv", SodiumKeyTransform::kHex);
}

TEST(SodiumKeyTest, Base64DecodesStandardPaddedText) {
  // 32 bytes 0x00..0x1f.
  std::string expected;
  for (int i = 0; i < 32; ++i) expected += static_cast<char>(i);
  const std::string b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  EXPECT_EQ(KeyBytes(LoadSodiumKey(b64, SodiumKeyTransform::kBase64, kSetting)), expected);
  // Go's decoder skips line breaks.
  std::string wrapped = b64.substr(0, 20) + "\r\n" + b64.substr(20);
  EXPECT_EQ(KeyBytes(LoadSodiumKey(wrapped, SodiumKeyTransform::kBase64, kSetting)), expected);
}

TEST(SodiumKeyTest, Base64RejectsBadTextAndWrongLengths) {
  const std::string b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  EXPECT_THAT(ExpectRejected(b64.substr(0, 43), SodiumKeyTransform::kBase64),
              HasSubstr("not valid base64"));  // padding missing
  std::string url_safe = b64;
  url_safe[5] = '-';
  EXPECT_THAT(ExpectRejected(url_safe, SodiumKeyTransform::kBase64), HasSubstr("not valid base64"));
  EXPECT_THAT(
      ExpectRejected("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", SodiumKeyTransform::kBase64),
      HasSubstr("(got 31 bytes)"));
  EXPECT_THAT(
      ExpectRejected("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", SodiumKeyTransform::kBase64),
      HasSubstr("(got 33 bytes)"));
  ExpectRejected("AAECAwQFBgcICQoL=A0ODxAREhMUFRYXGBkaGxwdHh8=", SodiumKeyTransform::kBase64);
}

TEST(SodiumKeyTest, ErrorsNeverContainTheKey) {
  // A key that is valid text for one transform and fed to the wrong one.
  const std::string secret = "Zq7-SECRET-MATERIAL-do-not-print-9x";
  for (auto transform : {SodiumKeyTransform::kHex, SodiumKeyTransform::kBase64}) {
    std::string message = ExpectRejected(secret, transform);
    EXPECT_THAT(message, Not(HasSubstr("SECRET")));
  }
  std::string message = ExpectRejected("SECRET-short", SodiumKeyTransform::kNone);
  EXPECT_THAT(message, Not(HasSubstr("SECRET")));
}

TEST(SodiumKeyTest, CopiesAreIndependent) {
  SodiumKey original = HexKey(kTestKeyHex);
  std::string bytes = KeyBytes(original);
  {
    SodiumKey copy = original;
    EXPECT_EQ(KeyBytes(copy), bytes);
  }
  EXPECT_EQ(KeyBytes(original), bytes);
}

TEST(SodiumKeyFileTest, ReadsAndTrimsTheFile) {
  TempDir dir;
  auto path = dir.path() / "key";
  WriteFile(path, std::string("  ") + kTestKeyHex + "\n\n");
  SodiumKey key =
      LoadSodiumKeyFile(path.string(), SodiumKeyTransform::kHex, "WALG_LIBSODIUM_KEY_PATH");
  EXPECT_EQ(KeyBytes(key), KeyBytes(HexKey(kTestKeyHex)));

  // Trimming applies before the none rule too: 25 characters plus a newline is a valid key.
  WriteFile(path, "abcdefghijklmnopqrstuvwxy\n");
  key = LoadSodiumKeyFile(path.string(), SodiumKeyTransform::kNone, "WALG_LIBSODIUM_KEY_PATH");
  EXPECT_EQ(KeyBytes(key), std::string("abcdefghijklmnopqrstuvwxy") + std::string(7, '\0'));
}

TEST(SodiumKeyFileTest, ReportsUnreadableEmptyAndOversizedFiles) {
  TempDir dir;
  auto path = dir.path() / "key";
  try {
    LoadSodiumKeyFile(path.string(), SodiumKeyTransform::kNone, "WALG_LIBSODIUM_KEY_PATH");
    ADD_FAILURE() << "missing file accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_THAT(e.what(), HasSubstr("WALG_LIBSODIUM_KEY_PATH"));
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
  WriteFile(path, " \n");
  EXPECT_THROW(
      {
        try {
          LoadSodiumKeyFile(path.string(), SodiumKeyTransform::kNone, "WALG_LIBSODIUM_KEY_PATH");
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
          EXPECT_THAT(e.what(), HasSubstr("empty"));
          throw;
        }
      },
      Error);
  WriteFile(path, std::string(100000, 'k'));
  EXPECT_THROW(
      LoadSodiumKeyFile(path.string(), SodiumKeyTransform::kNone, "WALG_LIBSODIUM_KEY_PATH"),
      Error);
  EXPECT_THROW(LoadSodiumKeyFile(dir.str(), SodiumKeyTransform::kNone, "WALG_LIBSODIUM_KEY_PATH"),
               Error);
}

}  // namespace
}  // namespace walnut
