#include "storage/registry/failover_storages.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/settings.h"
#include "localfs/local_fs.h"
#include "storage/failover_storage.h"
#include "storage/gcs/gcs_settings.h"
#include "storage/memory/memory_storage.h"
#include "storage/s3/s3_settings.h"
#include "support/faulty_storage.h"
#include "support/gated_storage.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;

Config WithFailovers(const std::string& json) {
  return Config({}, Environment{{"WALG_FILE_PREFIX", "/tmp/primary"},
                                {"WALG_FAILOVER_STORAGES", json}});
}

std::string InvalidMessage(const std::string& json) {
  try {
    ParseFailoverStorages(WithFailovers(json));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << json << " was accepted";
  return "";
}

TEST(FailoverSettingsTest, MembersAreReadFromTheirOwnSectionsInTheOrderOfTheirNames) {
  std::vector<FailoverStorageConfig> members = ParseFailoverStorages(WithFailovers(
      R"({"ZETA": {"WALG_FILE_PREFIX": "/z"}, "alpha": {"walg_s3_prefix": "s3://b/p",
          "AWS_REGION": "eu-west-1", "S3_DELETE_BATCH_SIZE": 500}})"));
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].name, "alpha");
  EXPECT_EQ(members[1].name, "zeta");
  EXPECT_EQ(members[0].config.Get("WALG_S3_PREFIX"), "s3://b/p");
  EXPECT_EQ(members[0].config.Get("S3_DELETE_BATCH_SIZE"), "500");
  // Nothing inherited from the root.
  EXPECT_FALSE(members[0].config.Has("WALG_FILE_PREFIX"));
  EXPECT_EQ(members[1].config.Get("WALG_FILE_PREFIX"), "/z");
}

// WALNUT_STORAGE_RETRY_TIMEOUT is the root's for every member (docs/failover.md): a backend
// takes it from the common Settings, not from the member's section, where it is never set.
TEST(FailoverSettingsTest, MembersUseTheRootsRetryBudget) {
  Config root({}, Environment{{"WALG_FILE_PREFIX", "/tmp/primary"},
                              {"WALNUT_STORAGE_RETRY_TIMEOUT", "5s"},
                              {"WALG_FAILOVER_STORAGES",
                               R"({"s3spare": {"WALG_S3_PREFIX": "s3://b/p",
                                   "AWS_ENDPOINT": "http://127.0.0.1:1",
                                   "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
                                   "gcsspare": {"WALG_GS_PREFIX": "gs://b/p"}})"}});
  std::vector<FailoverStorageConfig> members = ParseFailoverStorages(root);
  ASSERT_EQ(members.size(), 2u);
  const Settings common = LoadSettings(root);
  EXPECT_EQ(gcs::GcsOptionsFromConfig(members[0].config, common).retry_budget,
            std::chrono::seconds(5));
  EXPECT_EQ(s3::S3OptionsFromConfig(members[1].config, common).retry.budget,
            std::chrono::seconds(5));
}

TEST(FailoverSettingsTest, BadSectionsAreRefusedNamingTheSetting) {
  EXPECT_THAT(InvalidMessage(R"([1, 2])"), HasSubstr("WALG_FAILOVER_STORAGES"));
  EXPECT_THAT(InvalidMessage(R"({"Default": {"WALG_FILE_PREFIX": "/x"}})"),
              HasSubstr("'default' is reserved"));
  EXPECT_THAT(InvalidMessage(R"({"all": {"WALG_FILE_PREFIX": "/x"}})"),
              HasSubstr("'all' is reserved"));
  EXPECT_THAT(InvalidMessage(R"({"spare": "/x"})"), HasSubstr("storage 'spare'"));
  EXPECT_THAT(InvalidMessage(R"({"spare": {"WALG_FILE_PREFIX": ["/x"]}})"),
              HasSubstr("WALG_FILE_PREFIX must be a string"));
  EXPECT_THAT(InvalidMessage(R"({"swift": {"WALG_SWIFT_PREFIX": "swift://c/p"}})"),
              HasSubstr("failover storage 'swift'"));
}

TEST(FailoverSettingsTest, TheStatusCacheIsInTheHomeDirectoryAlsoWithoutHome) {
  EXPECT_EQ(LoadFailoverCheckOptions(
                Config({}, Environment{{"WALNUT_FAILOVER_STATUS_CACHE", "/var/lib/x/cache.json"}}))
                .cache_path,
            "/var/lib/x/cache.json");
  // Without $HOME (an archive_command's environment can lack it): the user's passwd entry, not
  // a file in /tmp that every user of the host could write first.
  const char* home = std::getenv("HOME");
  const std::string saved = home != nullptr ? home : "";
  ::unsetenv("HOME");
  FailoverCheckOptions options = LoadFailoverCheckOptions(Config({}, Environment{}));
  if (home != nullptr) ::setenv("HOME", saved.c_str(), 1);
  const passwd* pw = ::getpwuid(::geteuid());
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(options.cache_path, std::string(pw->pw_dir) + "/.walnut_storage_status_cache.json");
  EXPECT_TRUE(options.check);
  EXPECT_EQ(options.timeout, std::chrono::seconds(30));
  EXPECT_EQ(options.cache_lifetime, std::chrono::minutes(15));
}

TEST(FailoverSettingsTest, TheStatusCacheKeepsStatusesForItsLifetime) {
  testing::TempDir dir;
  const std::string path = dir.str() + "/cache.json";
  FailoverStatusCache cache(LocalFs::Default(), path, std::chrono::seconds(60));
  EXPECT_EQ(cache.Get(StorageAccess::kRead, "k"), std::nullopt);
  cache.Set(StorageAccess::kReadWrite, "k", true);
  EXPECT_EQ(cache.Get(StorageAccess::kReadWrite, "k"), true);
  EXPECT_EQ(cache.Get(StorageAccess::kRead, "k"), std::nullopt);
  // Dead for writes is dead for reads too, and a later command sees it.
  cache.Set(StorageAccess::kReadWrite, "k", false);
  FailoverStatusCache again(LocalFs::Default(), path, std::chrono::seconds(60));
  EXPECT_EQ(again.Get(StorageAccess::kRead, "k"), false);
  EXPECT_EQ(again.Get(StorageAccess::kReadWrite, "k"), false);
  // Past the lifetime: unknown, checked again.
  FailoverStatusCache expired(LocalFs::Default(), path, std::chrono::seconds(0));
  EXPECT_EQ(expired.Get(StorageAccess::kRead, "k"), std::nullopt);
  // A broken file is an empty cache.
  testing::WriteFile(path, "{not json");
  EXPECT_EQ(again.Get(StorageAccess::kRead, "k"), std::nullopt);
}

TEST(FailoverSettingsTest, CommandsWritingTheStatusCacheAtOnceNeverLeaveItTorn) {
  // As two wal-push learning statuses at once: each Set() replaces the file whole, so a reader
  // always finds one writer's whole file (which of their news survives is the last writer's).
  testing::TempDir dir;
  const std::string path = dir.str() + "/cache.json";
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      FailoverStatusCache cache(LocalFs::Default(), path, std::chrono::seconds(60));
      for (int i = 0; i < 200; ++i) {
        cache.Set(StorageAccess::kReadWrite, fmt::format("storage-{}-{}", w, i % 7), i % 2 == 0);
      }
    });
  }
  std::thread reader([&] {
    while (!done) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) continue;
      EXPECT_TRUE(nlohmann::json::accept(testing::ReadFile(path))) << "a torn status cache";
    }
  });
  for (std::thread& t : writers) t.join();
  done = true;
  reader.join();
  FailoverStatusCache cache(LocalFs::Default(), path, std::chrono::seconds(60));
  // The file is the last rename's: it holds at least the status its writer set last.
  int known = 0;
  for (int w = 0; w < 2; ++w) {
    if (cache.Get(StorageAccess::kReadWrite, fmt::format("storage-{}-{}", w, 199 % 7))) ++known;
  }
  EXPECT_GE(known, 1);
}

TEST(FailoverSettingsTest, TheAliveCheckListsAndForWritersWritesAndDeletes) {
  auto memory = std::make_shared<MemoryStorage>();
  EXPECT_EQ(CheckStorageAlive(memory, "", StorageAccess::kReadWrite, 3000,
                              std::chrono::seconds(5)),
            "");
  EXPECT_EQ(memory->ObjectCount(), 0u);  // the check object is gone again

  auto faulty = std::make_shared<testing::FaultyStorage>(std::make_unique<MemoryStorage>());
  faulty->FailCall(testing::StorageOp::kList, 1, Error(ErrorCode::kNetwork, "refused", true));
  EXPECT_THAT(CheckStorageAlive(faulty, "", StorageAccess::kRead, 0, std::chrono::seconds(5)),
              HasSubstr("refused"));
  faulty->FailCall(testing::StorageOp::kPut, 1, Error(ErrorCode::kPermissionDenied, "read-only"));
  EXPECT_THAT(
      CheckStorageAlive(faulty, "", StorageAccess::kReadWrite, 10, std::chrono::seconds(5)),
      HasSubstr("read-only"));
}

TEST(FailoverSettingsTest, AHangingStorageIsDeadAfterTheCheckTimeout) {
  auto memory = std::make_shared<MemoryStorage>();
  auto gated = std::make_shared<testing::GatedStorage>(*memory, "wal-g_storage_check");
  auto started = std::chrono::steady_clock::now();
  std::string problem = CheckStorageAlive(gated, "", StorageAccess::kReadWrite, 10,
                                          std::chrono::milliseconds(300));
  EXPECT_THAT(problem, HasSubstr("WALG_FAILOVER_STORAGES_CHECK_TIMEOUT"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  // The abandoned check goes on, holding the storage: still in its upload, then done once the
  // storage answers, its object deleted and its reference to the storage released.
  EXPECT_TRUE(gated->WaitUntilHeld(1));
  std::weak_ptr<testing::GatedStorage> abandoned = gated;
  gated->Open();
  gated.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!abandoned.expired() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(abandoned.expired()) << "the abandoned check still holds the storage";
  EXPECT_EQ(memory->ObjectCount(), 0u);
}

}  // namespace
}  // namespace walnut
