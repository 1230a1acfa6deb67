// The whole settings registry, as `walnut` installs it: every setting declares what Walnut does
// with it, and the code honours the declaration.

#include "cli/setting_registry.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/command_context.h"
#include "common/error.h"
#include "config/setting_specs.h"
#include "config/setting_status.h"
#include "config/settings_listing.h"
#include "storage/registry/storage_registry.h"
#include "support/gpg_home.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;

[[maybe_unused]] const bool kInstalled = [] {
  InstallSettingSpecs();
  return true;
}();

std::vector<std::string_view> AllNames(const SettingSpec& spec) {
  std::vector<std::string_view> all = {spec.name};
  all.insert(all.end(), spec.aliases.begin(), spec.aliases.end());
  return all;
}

TEST(SettingRegistryTest, EverySettingDeclaresAStatus) {
  for (const SettingSpec& spec : AllSettingSpecs()) {
    EXPECT_NE(spec.status, SettingStatus::kUndeclared) << spec.name << " declares no status";
    bool needs_note =
        spec.status == SettingStatus::kRefused || spec.status == SettingStatus::kWarned;
    EXPECT_EQ(needs_note, !spec.status_note.empty())
        << spec.name << ": a refused or warned setting says why, and only those";
  }
}

TEST(SettingRegistryTest, NamesAndAliasesAreUniqueAndUpperCase) {
  std::set<std::string_view> seen;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    for (std::string_view name : AllNames(spec)) {
      EXPECT_TRUE(seen.insert(name).second) << name << " listed twice";
      for (char c : name)
        EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << name;
      EXPECT_EQ(FindSettingSpec(name), &spec) << name;
    }
    EXPECT_EQ(spec.kind == SettingKind::kEnum, !spec.accepted.empty()) << spec.name;
  }
}

TEST(SettingRegistryTest, WalGAliases) {
  EXPECT_EQ(FindSettingSpec("WALE_S3_PREFIX")->name, "WALG_S3_PREFIX");
  EXPECT_EQ(FindSettingSpec("S3_SSE")->name, "WALG_S3_SSE");
  EXPECT_EQ(FindSettingSpec("WALE_S3_SSE")->name, "WALG_S3_SSE");
  EXPECT_EQ(FindSettingSpec("S3_STORAGE_CLASS")->name, "WALG_S3_STORAGE_CLASS");
  EXPECT_EQ(FindSettingSpec("AWS_ACCESS_KEY")->name, "AWS_ACCESS_KEY_ID");
  EXPECT_EQ(FindSettingSpec("AWS_SECRET_KEY")->name, "AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(FindSettingSpec("WALE_FILE_PREFIX")->name, "WALG_FILE_PREFIX");
  EXPECT_EQ(FindSettingSpec("WALE_GPG_KEY_ID")->name, "WALG_GPG_KEY_ID");
  EXPECT_EQ(FindSettingSpec("UPLOAD_CONCURRENCY")->name, "WALG_UPLOAD_CONCURRENCY");
  EXPECT_EQ(FindSettingSpec("walg_s3_prefix"), nullptr);  // exact spelling; files upper-case keys
  EXPECT_EQ(FindSettingSpec("WALG_NO_SUCH"), nullptr);
  EXPECT_EQ(ToFlagName("WALG_S3_PREFIX"), "walg-s3-prefix");
  FlagMatch alias = FindSettingSpecByFlag("wale-s3-prefix");
  EXPECT_EQ(alias.spec->name, "WALG_S3_PREFIX");
  EXPECT_EQ(alias.name, "WALE_S3_PREFIX");
}

TEST(SettingRegistryTest, SecretsAreMarked) {
  for (std::string_view name :
       {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "WALG_LIBSODIUM_KEY", "WALG_PGP_KEY",
        "WALG_PGP_KEY_PASSPHRASE", "PGPASSWORD", "SSH_PASSWORD", "AZURE_STORAGE_ACCESS_KEY",
        "AZURE_STORAGE_SAS_TOKEN", "WALG_S3_SSE_C", "GCS_ENCRYPTION_KEY", "OS_PASSWORD",
        "OSS_ACCESS_KEY_SECRET", "S3_REQUEST_ADDITIONAL_HEADERS",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN"}) {
    ASSERT_NE(FindSettingSpec(name), nullptr) << name;
    EXPECT_TRUE(FindSettingSpec(name)->secret) << name;
  }
  EXPECT_FALSE(FindSettingSpec("WALG_S3_PREFIX")->secret);
}

TEST(SettingRegistryTest, EveryStorageBackendOwnsItsPrefixSetting) {
  for (const StorageBackend& backend : StorageBackends()) {
    const SettingSpec* prefix = FindSettingSpec(backend.prefix_setting);
    ASSERT_NE(prefix, nullptr) << backend.name;
    bool listed = false;
    for (const SettingSpec& spec : backend.settings()) listed |= spec.name == prefix->name;
    EXPECT_TRUE(listed) << backend.prefix_setting << " is not among " << backend.name
                        << "'s settings";
    // A backend Walnut lacks must refuse its prefix, never store elsewhere.
    EXPECT_EQ(backend.open == nullptr, prefix->status == SettingStatus::kRefused)
        << backend.prefix_setting;
  }
}

// Loads everything a command loads, as CommandContext does, plus what main() reads itself
// (cli.cc: the PG* variables it exports for libpq, the log level and destination).
void LoadAsACommandDoes(CommandContext& context) {
  context.settings();
  context.pipeline();
  context.root();
  context.config().PgEnvironment();
  context.config().Get("WALG_LOG_LEVEL");
  context.config().Get("WALG_LOG_DESTINATION");
}

// "Implemented" must mean something reads it: each scenario loads as a command does, and every
// implemented setting must have been read by at least one of them.
TEST(SettingRegistryTest, EveryImplementedSettingIsRead) {
  testing::TempDir dir;
  const std::string key_file = dir.str() + "/key";
  testing::WriteFile(key_file, "0123456789abcdef0123456789abcdef");
  testing::GpgTestKeys gpg;
  const std::string pgp_key_file = dir.str() + "/key.asc";
  testing::WriteFile(pgp_key_file, gpg.ExportPublic(testing::GpgTestKeys::kAlice));
  const std::vector<Environment> scenarios = {
      {{"WALG_FILE_PREFIX", dir.str() + "/store"}},
      {{"WALG_S3_PREFIX", "s3://bucket/path"},
       {"AWS_ACCESS_KEY_ID", "AKID"},
       {"AWS_SECRET_ACCESS_KEY", "SECRET"},
       {"WALG_COMPRESSION_METHOD", "zstd"},
       {"WALG_ZSTD_LEVEL", "best"},
       {"WALG_LIBSODIUM_KEY_PATH", key_file}},
      {{"WALG_SSH_PREFIX", "ssh://host/path"}, {"SSH_PASSWORD", "secret"}},
      {{"WALG_AZ_PREFIX", "azure://container/path"}, {"AZURE_STORAGE_ACCOUNT", "acct"}},
      {{"WALG_GS_PREFIX", "gs://bucket/path"},
       {"GOOGLE_APPLICATION_CREDENTIALS", key_file},
       {"GCS_ENCRYPTION_KEY", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="},
       {"STORAGE_EMULATOR_HOST", "127.0.0.1:1"},
       {"GCE_METADATA_HOST", "127.0.0.1:1"}},
      {{"WALG_S3_PREFIX", "s3://bucket/path"},
       {"WALNUT_S3_ANONYMOUS", "true"},
       {"AWS_ENDPOINT", "http://127.0.0.1:1"},
       {"WALG_LIBSODIUM_KEY", "0123456789abcdef0123456789abcdef"}},
      {{"WALG_FILE_PREFIX", dir.str() + "/store"},
       {"WALG_PGP_KEY_PATH", pgp_key_file},
       {"WALG_PGP_KEY_PASSPHRASE", "passphrase"}},
      {{"WALG_FILE_PREFIX", dir.str() + "/store"},
       {"WALG_FAILOVER_STORAGES",
        "{\"spare\": {\"WALG_FILE_PREFIX\": \"" + dir.str() + "/spare\"}}"},
       {"WALNUT_FAILOVER_STATUS_CACHE", dir.str() + "/status.json"}},
  };
  std::set<std::string_view> read;
  for (const Environment& env : scenarios) {
    CommandContext context(Config({}, env));
    LoadAsACommandDoes(context);
    for (const SettingSpec& spec : AllSettingSpecs()) {
      if (context.config().WasRead(spec.name)) read.insert(spec.name);
    }
  }
  for (const SettingSpec& spec : AllSettingSpecs()) {
    if (spec.status != SettingStatus::kImplemented) continue;
    EXPECT_TRUE(read.count(spec.name))
        << spec.name << " is declared implemented, but nothing reads it";
  }
}

// A value that differs from the setting's default, of the setting's kind.
std::string NonDefaultValue(const SettingSpec& spec) {
  switch (spec.kind) {
    case SettingKind::kBool:
      return spec.default_value == "true" ? "false" : "true";
    case SettingKind::kInt:
      return "12345";
    case SettingKind::kBytes:
      return "5MiB";
    case SettingKind::kDuration:
      return "97m";
    case SettingKind::kEnum:
      return std::string(spec.accepted.back() == spec.default_value ? spec.accepted.front()
                                                                    : spec.accepted.back());
    case SettingKind::kJson:
      return "{\"x\": 1}";
    case SettingKind::kString:
      break;
  }
  return "something-else";
}

TEST(SettingRegistryTest, EveryRefusedSettingStopsTheCommandWithOneLine) {
  testing::TempDir dir;
  int refused = 0;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    if (spec.status != SettingStatus::kRefused) continue;
    ++refused;
    Environment env = {{"WALG_FILE_PREFIX", dir.str()}};
    env[std::string(spec.name)] = NonDefaultValue(spec);
    CommandContext context(Config({}, env));
    try {
      context.settings();
      ADD_FAILURE() << spec.name << " was accepted";
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << message;
      EXPECT_EQ(message.rfind(std::string(spec.name) + ": ", 0), 0u) << message;
      EXPECT_THAT(message, HasSubstr(std::string(spec.status_note)));
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      if (spec.secret) {
        EXPECT_THAT(message, ::testing::Not(HasSubstr(NonDefaultValue(spec))));
      }
    }
  }
  // The loop must have walked the refusals (29 when the S3 credentials, Object Lock and
  // versioning settings became implemented, 15 with failover storages); the number falls as
  // features land.
  EXPECT_GT(refused, 8);
}

TEST(SettingRegistryTest, TheIssuesRefusalsAreInPlace) {
  for (std::string_view name : {"WALG_ENVELOPE_PGP_KEY", "WALG_SWIFT_PREFIX"}) {
    ASSERT_NE(FindSettingSpec(name), nullptr) << name;
    EXPECT_EQ(FindSettingSpec(name)->status, SettingStatus::kRefused) << name;
  }
}

TEST(SettingRegistryTest, DefaultValuesOfRefusedSettingsAskForNothing) {
  testing::TempDir dir;
  // WAL-G users often write the defaults out; those ask for nothing Walnut lacks.
  CommandContext context(Config({}, {{"WALG_FILE_PREFIX", dir.str()},
                                     {"WALG_S3_USE_LIST_OBJECTS_V1", "false"},
                                     {"S3_RETENTION_PERIOD", "-1"},
                                     {"WALG_PG_BLOCK_SIZE", "8192"},
                                     {"WALG_SERIALIZER_TYPE", "JSON_DEFAULT"}}));
  EXPECT_NO_THROW(context.settings());
}

TEST(SettingRegistryTest, EveryWarnedSettingIsAcceptedWithAWarningNamingIt) {
  testing::TempDir dir;
  int warned = 0;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    if (spec.status != SettingStatus::kWarned) continue;
    ++warned;
    Environment env = {{"WALG_FILE_PREFIX", dir.str()}};
    env[std::string(spec.name)] = NonDefaultValue(spec);
    std::vector<std::string> warnings = CheckSettingStatuses(Config({}, env));
    ASSERT_EQ(warnings.size(), 1u) << spec.name;
    EXPECT_THAT(warnings[0], HasSubstr(std::string(spec.name) + " is ignored: "));
    EXPECT_THAT(warnings[0], HasSubstr(std::string(spec.status_note)));
    if (spec.secret) {
      EXPECT_THAT(warnings[0], ::testing::Not(HasSubstr(NonDefaultValue(spec))));
    }
  }
  EXPECT_GT(warned, 30);
}

TEST(SettingRegistryTest, ListingShowsEachStatus) {
  std::vector<SettingListing> listing = ListSettings(Config({}, {}));
  ASSERT_EQ(listing.size(), AllSettingSpecs().size());
  for (size_t i = 0; i < listing.size(); ++i) {
    EXPECT_EQ(listing[i].status, AllSettingSpecs()[i].status) << listing[i].name;
    EXPECT_EQ(listing[i].status_note, AllSettingSpecs()[i].status_note) << listing[i].name;
  }
}

TEST(StorageRegistryTest, SelectionFollowsWalGOrder) {
  // S3 comes before FILE in WAL-G's adapter list; OSS before both; GS, AZ, SWIFT, SSH after.
  EXPECT_EQ(SelectStorageBackend(
                Config({}, {{"WALG_FILE_PREFIX", "/b"}, {"WALG_S3_PREFIX", "s3://bucket/a/b/"}}))
                .name,
            "s3");
  EXPECT_EQ(SelectStorageBackend(
                Config({}, {{"WALG_OSS_PREFIX", "oss://x"}, {"WALG_S3_PREFIX", "s3://b"}}))
                .name,
            "oss");
  EXPECT_EQ(SelectStorageBackend(
                Config({}, {{"WALG_FILE_PREFIX", "/b"}, {"WALG_AZ_PREFIX", "azure://c"}}))
                .name,
            "file");
  EXPECT_EQ(SelectStorageBackend(
                Config({}, {{"WALG_SSH_PREFIX", "ssh://h/x"}, {"WALG_AZ_PREFIX", "azure://c"}}))
                .name,
            "azure");
  EXPECT_EQ(SelectStorageBackend(Config({}, {{"WALG_SSH_PREFIX", "ssh://h/x"}})).name, "ssh");
  EXPECT_EQ(SelectStorageBackend(
                Config({}, {{"WALG_GS_PREFIX", "gs://b/x"}, {"WALG_AZ_PREFIX", "azure://c"}}))
                .name,
            "gs");
  try {
    SelectStorageBackend(Config({}, {}));
    ADD_FAILURE() << "no storage was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(),
                 "no storage configured: set WALG_FILE_PREFIX (a local directory), "
                 "WALG_S3_PREFIX (s3://bucket/path), WALG_GS_PREFIX (gs://bucket/path), "
                 "WALG_SSH_PREFIX (ssh://host/path) or WALG_AZ_PREFIX (azure://container/path)");
  }
}

TEST(StorageRegistryTest, AStorageWalnutLacksIsRefusedNotReplaced) {
  // With OSS first in WAL-G's order, Walnut must refuse rather than quietly pick S3.
  CommandContext context(Config({}, {{"WALG_OSS_PREFIX", "oss://x"},
                                     {"WALG_S3_PREFIX", "s3://b"},
                                     {"WALNUT_S3_ANONYMOUS", "true"}}));
  try {
    context.root();
    ADD_FAILURE() << "OSS was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("WALG_OSS_PREFIX: Alibaba OSS storage is not supported"));
    // The note names every storage Walnut has.
    EXPECT_THAT(e.what(), HasSubstr("WALG_GS_PREFIX, WALG_AZ_PREFIX or WALG_SSH_PREFIX"));
  }
  // The backstop for a caller that did not check the statuses names them too, from the table.
  try {
    Config config({}, {{"WALG_OSS_PREFIX", "oss://x"}});
    OpenStorage(config, Settings{});
    ADD_FAILURE() << "OSS was opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("WALG_OSS_PREFIX: oss storage is not supported by walnut yet; "
                                    "use one of WALG_S3_PREFIX, WALG_FILE_PREFIX, WALG_GS_PREFIX, "
                                    "WALG_AZ_PREFIX, WALG_SSH_PREFIX"));
  }
}

TEST(StorageRegistryTest, OpensALocalDirectoryAndAsksItForCapabilities) {
  testing::TempDir dir;
  CommandContext context(
      Config({}, {{"WALG_FILE_PREFIX", dir.str() + "/store"}, {"WALG_STORAGE_PREFIX", "/sub/"}}));
  const Folder& root = context.root();
  EXPECT_EQ(root.storage().Describe(), "file://" + dir.str() + "/store");
  EXPECT_EQ(root.Key("x"), "sub/x");
  EXPECT_TRUE(root.storage().Supports(StorageFeature::kLocal));
  EXPECT_EQ(root.storage().PutBufferUnit(), 0u);
}

TEST(StorageRegistryTest, OpensS3WithItsBufferSizes) {
  CommandContext context(Config({}, {{"WALG_S3_PREFIX", "s3://bucket/p"},
                                     {"AWS_ENDPOINT", "http://127.0.0.1:1"},
                                     {"WALNUT_S3_ANONYMOUS", "true"}}));
  const Storage& storage = context.root().storage();
  EXPECT_FALSE(storage.Supports(StorageFeature::kLocal));
  EXPECT_EQ(storage.PutBufferUnit(), 8u << 20);
  EXPECT_EQ(storage.PutBufferBytes(1000), 1000u);
  EXPECT_EQ(storage.PutBufferBytes(1ull << 30), 32u << 20);  // 3 in flight + 1 filling
}

}  // namespace
}  // namespace walnut
