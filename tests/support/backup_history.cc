#include "support/backup_history.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/cli_runner.h"
#include "support/pg_checks.h"

namespace walnut::testing {

void BackupSource::StartArchiving(const WalnutConfig& config, int scale) {
  InitDb();
  Configure({"wal_level = replica", "archive_mode = on",
             "archive_command = " + ConfQuote(config.ArchiveCommand()), "archive_timeout = 0",
             "max_wal_size = 256MB"});
  Start();
  Pgbench("-i -q -s " + std::to_string(scale));
}

std::string BackupSource::Push(const WalnutConfig& config, const std::string& args,
                               bool under_load) {
  std::vector<std::string> before = BackupNames(config);
  std::string load_error;
  std::thread load;
  if (under_load) {
    load = std::thread([&] {
      try {
        Pgbench("-n -c 2 -R 40 -T 4");
      } catch (const std::exception& e) {
        load_error = e.what();
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  CommandResult r = Run(config.CommandLine("backup-push " + args + (args.empty() ? "" : " ") +
                                           ShellQuote(data_dir().string())));
  if (load.joinable()) load.join();
  EXPECT_EQ(load_error, "");
  EXPECT_EQ(r.exit_code, 0) << "backup-push " << args << ": " << r.err;
  std::vector<std::string> after = BackupNames(config);
  for (const auto& name : after) {
    if (std::find(before.begin(), before.end(), name) == before.end()) return name;
  }
  ADD_FAILURE() << "backup-push " << args << " made no new backup:\n" << r.err;
  return "";
}

TakenBackup BackupSource::PushAndRecord(const WalnutConfig& config, const std::string& args,
                                        bool under_load) {
  TakenBackup taken{Push(config, args, under_load), "", ""};
  taken.dump = DumpAll();
  taken.restore_point = "after_" + taken.name;
  Query("SELECT pg_create_restore_point('" + taken.restore_point + "')");
  return taken;
}

void BackupSource::ArchiveAll() { WaitForArchived(SwitchWal(), 60); }

void RestoreAndCheck(const WalnutConfig& config, const TakenBackup& taken,
                     const RestoreOptions& options) {
  const std::string what = taken.name + (options.fetch_args.empty() ? "" : " ") +
                           options.fetch_args + (options.to_consistency ? " (immediate)" : "");
  SCOPED_TRACE("restore of " + what);
  PgCluster restored;
  CommandResult r = config.Run("backup-fetch " + options.fetch_args + " " +
                               ShellQuote(restored.data_dir().string()) + " " + taken.name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (options.before_start) options.before_start(restored.data_dir());
  restored.Configure(
      {"archive_mode = off", "restore_command = " + ConfQuote(config.RestoreCommand()),
       options.to_consistency ? "recovery_target = 'immediate'"
                              : "recovery_target_name = " + ConfQuote(taken.restore_point),
       "recovery_target_action = 'promote'"});
  restored.SignalRecovery();
  restored.Start();
  restored.WaitForPromotion(120);
  ExpectSameDumpAt(restored.DumpAll(), taken.dump, what);
  if (options.amcheck) ExpectAmcheckClean(restored, taken.name);
}

nlohmann::json BackupJson(const WalnutConfig& config, const std::string& object) {
  CommandResult r = config.Run("st cat " + ShellQuote("basebackups_005/" + object));
  EXPECT_EQ(r.exit_code, 0) << object << ": " << r.err;
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << object << " is not JSON: " << r.out.substr(0, 500);
  return json.is_object() ? json : nlohmann::json::object();
}

}  // namespace walnut::testing
