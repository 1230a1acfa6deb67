#include "pipeline/pipeline_settings.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The pipeline's settings, registered as `walnut` does at start-up, before any test looks one up.
[[maybe_unused]] const bool kRegistered = [] {
  for (std::span<const SettingSpec> list : PipelineSettingSpecLists()) RegisterSettingSpecs(list);
  return true;
}();

PipelineOptions Load(const Environment& env) { return LoadPipelineOptions(Config({}, env)); }

std::string LoadError(const Environment& env) {
  try {
    Load(env);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "settings were accepted";
  return "";
}

const std::string kKey = "0123456789abcdef0123456789abcdef";

TEST(PipelineSettingsTest, DefaultsAreLz4WithoutEncryption) {
  PipelineOptions o = Load({});
  EXPECT_EQ(o.compression, CompressionMethod::kLz4);
  EXPECT_EQ(o.compression_options.level, std::nullopt);
  EXPECT_EQ(o.crypter, nullptr);
}

TEST(PipelineSettingsTest, MethodNamesComeFromTheCodecTable) {
  const SettingSpec* method = FindSettingSpec("WALG_COMPRESSION_METHOD");
  ASSERT_NE(method, nullptr);
  ASSERT_EQ(method->accepted.size(), Codecs().size());
  for (size_t i = 0; i < Codecs().size(); ++i) {
    EXPECT_EQ(method->accepted[i], Codecs()[i].name);
    EXPECT_EQ(Load({{"WALG_COMPRESSION_METHOD", std::string(Codecs()[i].name)}}).compression,
              Codecs()[i].method);
  }
  EXPECT_EQ(LoadError({{"WALG_COMPRESSION_METHOD", "gzip"}}),
            "WALG_COMPRESSION_METHOD: unknown value 'gzip'; accepted: lz4, lzma, zstd, brotli, "
            "none");
}

TEST(PipelineSettingsTest, ZstdLevelByNameOrNumber) {
  for (auto [text, level] : std::vector<std::pair<std::string, int>>{
           {"fastest", 1}, {"default", 3}, {"better", 7}, {"BEST", 11}, {"19", 19}}) {
    EXPECT_EQ(Load({{"WALG_COMPRESSION_METHOD", "zstd"}, {"WALG_ZSTD_LEVEL", text}})
                  .compression_options.level,
              level)
        << text;
  }
  EXPECT_THAT(LoadError({{"WALG_COMPRESSION_METHOD", "zstd"}, {"WALG_ZSTD_LEVEL", "23"}}),
              HasSubstr("WALG_ZSTD_LEVEL: unknown value '23'; accepted: fastest, default, better, "
                        "best or a level from 1 to 22"));
  EXPECT_THAT(LoadError({{"WALG_ZSTD_LEVEL", "best"}}),
              HasSubstr("WALG_ZSTD_LEVEL: only applies to zstd, but WALG_COMPRESSION_METHOD is "
                        "lz4"));
}

TEST(PipelineSettingsTest, LibsodiumKeyInlineOrFromAFile) {
  PipelineOptions inline_key =
      Load({{"WALG_LIBSODIUM_KEY", kKey + kKey}, {"WALG_LIBSODIUM_KEY_TRANSFORM", "HEX"}});
  ASSERT_NE(inline_key.crypter, nullptr);
  EXPECT_EQ(inline_key.crypter->Name(), "libsodium");

  testing::TempDir dir;
  std::string path = dir.str() + "/key";
  std::ofstream(path) << kKey << "\n";
  EXPECT_NE(Load({{"WALG_LIBSODIUM_KEY_PATH", path}}).crypter, nullptr);
}

TEST(PipelineSettingsTest, LibsodiumErrorsAreSettingErrorsWithoutTheKey) {
  std::string both = LoadError({{"WALG_LIBSODIUM_KEY", kKey}, {"WALG_LIBSODIUM_KEY_PATH", "/k"}});
  EXPECT_THAT(both, HasSubstr("WALG_LIBSODIUM_KEY_PATH"));
  EXPECT_THAT(both, Not(HasSubstr(kKey)));
  EXPECT_THAT(LoadError({{"WALG_LIBSODIUM_KEY", kKey}, {"WALG_LIBSODIUM_KEY_TRANSFORM", "rot13"}}),
              HasSubstr("accepted: none, hex, base64"));
  // A key file that is missing is a bad setting (exit 2), named with its path.
  std::string missing = LoadError({{"WALG_LIBSODIUM_KEY_PATH", "/nonexistent/walnut.key"}});
  EXPECT_THAT(missing, HasSubstr("WALG_LIBSODIUM_KEY_PATH"));
  EXPECT_THAT(missing, HasSubstr("/nonexistent/walnut.key"));
}

}  // namespace
}  // namespace walnut
