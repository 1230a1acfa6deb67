// `walnut delete` end to end with real PostgreSQL 15 (WAL-G's semantics and Walnut's safer ones,
// docs/retention.md). Each test builds one history of real backups, oldest first
//     F1 D1 | F2 D2a D2b | F3 D3        (F: full, D: delta of the backup before it)
// with a little pgbench work before each push and a restore point and dump recorded after it,
// then runs each scenario on a fresh copy of it (directory storage) or one after the other on it
// (s3rver). A scenario runs the dry run first (nothing may change), then --confirm, then checks
// exactly which backups and which objects remain, which WAL remains (nothing before the target's
// start but permanent or needed backups' ranges), and restores the oldest remaining backup (and
// LATEST where it adds something) to its restore point, comparing dumps. Also: an interrupted
// delete (kill -9 at random points) leaves every listed backup restorable, and 10,000 WAL objects
// on s3rver go in batches.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "config/config.h"
#include "config/environment.h"
#include "config/settings.h"
#include "storage/registry/storage_registry.h"
#include "storage/storage.h"
#include "support/background_command.h"
#include "support/backup_history.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/pg_cluster.h"
#include "support/private_s3rver.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

// The user data backup D2a is pushed with.
constexpr const char* kD2aUserData = R"({"label":"D2a"})";

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kIncrementalTarget =
    "is incremental and it's predecessors cannot be deleted. Consider FIND_FULL option.";

// The 16 MiB segment number of a WAL object's name (history files and other names: nullopt). All
// backups here are on timeline 1.
std::optional<uint64_t> SegmentOf(const std::string& object) {
  if (object.size() < 24 || !std::all_of(object.begin(), object.begin() + 24, [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return std::nullopt;
  }
  return std::stoull(object.substr(8, 8), nullptr, 16) * 256 +
         std::stoull(object.substr(16, 8), nullptr, 16);
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// A whole second later than everything so far, once it has passed: a backup pushed next starts
// after it, every earlier one before it.
std::string TimeBetweenBackups() {
  auto t = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now());
  std::this_thread::sleep_until(t + std::chrono::milliseconds(20));
  return Rfc3339(t);
}

// The message of the last line of a command's log, without "INFO: 2026/11/21 10:00:00.123456 ".
std::string LastMessage(const std::string& log) {
  std::vector<std::string> lines = Lines(log);
  if (lines.empty()) return "";
  static const std::regex prefix(R"(^[A-Z]+: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+ )");
  return std::regex_replace(lines.back(), prefix, "", std::regex_constants::format_first_only);
}

// The backup names that follow `phrase` in `log` ("would delete backup base_...").
std::set<std::string> NamesAfter(const std::string& log, const std::string& phrase) {
  std::set<std::string> names;
  for (size_t at = log.find(phrase); at != std::string::npos; at = log.find(phrase, at + 1)) {
    size_t begin = at + phrase.size(), end = begin;
    while (end < log.size() &&
           (std::isalnum(static_cast<unsigned char>(log[end])) || log[end] == '_')) {
      ++end;
    }
    names.insert(log.substr(begin, end - begin));
  }
  return names;
}

// The objects a dry run names, as WAL-G prints them ("\twill be deleted: <key>"), in order.
std::vector<std::string> NamedForDeletion(const std::string& log) {
  std::vector<std::string> keys;
  const std::string marker = "\twill be deleted: ";
  for (const auto& line : Lines(log)) {
    const size_t at = line.find(marker);
    if (at != std::string::npos) keys.push_back(line.substr(at + marker.size()));
  }
  return keys;
}

// What the storage holds: object names under basebackups_005/ and wal_005/.
struct StorageState {
  std::vector<std::string> backups;
  std::vector<std::string> wal;
  friend bool operator==(const StorageState&, const StorageState&) = default;
};

StorageState State(const WalnutConfig& config) {
  return {config.ListObjects("basebackups_005"), config.ListObjects("wal_005")};
}

// Whether basebackups_005/`object` belongs to backup (or folder) `name`.
bool BelongsTo(const std::string& object, const std::string& name) {
  return object == name + "_backup_stop_sentinel.json" || object.starts_with(name + "/");
}

// What a delete must leave.
struct Outcome {
  std::vector<std::string> kept{};  // labels of the backups listed afterwards
  // The label of the backup before whose start segment the WAL goes; "" leaves the WAL alone.
  std::string wal_from{};
  // Labels of kept backups older than `wal_from` whose WAL [start, finish] must stay.
  std::vector<std::string> wal_ranges{};
  std::vector<std::string> folders{};  // folders without a sentinel that must stay (names)
  bool no_wal = false;                 // no WAL at all stays (everything)
};

// A backup of the history: as pushed, and the segments of its start and finish LSN.
struct HistoryBackup {
  TakenBackup taken;
  uint64_t start_segment = 0;   // of LSN
  uint64_t finish_segment = 0;  // of FinishLSN - 1
};

class DeleteIt : public ::testing::Test {
 protected:
  // A config for the history's storage or a copy of it: lz4, deltas of up to 2 steps, small tar
  // parts (many objects per backup, as a large database has).
  static std::unique_ptr<WalnutConfig> NewConfig(TestStorage storage, const std::string& what) {
    auto config = std::make_unique<WalnutConfig>(storage, what);
    config->SetCompression("lz4");
    config->Set("WALG_DELTA_MAX_STEPS", "2");
    config->Set("WALG_TAR_SIZE_THRESHOLD", "2097152");
    return config;
  }

  // Pushes the history; the source keeps running (FinishHistory stops it).
  void BuildHistory(TestStorage storage) {
    history_ = NewConfig(storage, "delete-history");
    source_.StartArchiving(*history_);
    auto push = [&](const std::string& label, const std::string& args) {
      source_.Pgbench("-n -c 1 -t 200");
      backups_[label].taken = source_.PushAndRecord(*history_, args);
    };
    push("F1", "");
    push("D1", "");
    before_f2_ = TimeBetweenBackups();
    push("F2", "--full");
    push("D2a", "--add-user-data " + ShellQuote(kD2aUserData));  // for target --target-user-data
    push("D2b", "");
    push("F3", "--full");
    push("D3", "");
  }

  // Archives everything, stops the source, and reads where each backup's WAL is.
  void FinishHistory() {
    source_.ArchiveAll();
    source_.Stop();
    ASSERT_EQ(BackupNames(*history_), Names(kLabels)) << "precondition: the history";
    for (const auto& label : kLabels) {
      HistoryBackup& b = backups_[label];
      const Json sentinel = SentinelJson(*history_, b.taken.name);
      ASSERT_TRUE(sentinel.contains("LSN") && sentinel.contains("FinishLSN")) << sentinel.dump();
      b.start_segment = sentinel["LSN"].get<uint64_t>() >> 24;
      b.finish_segment = (sentinel["FinishLSN"].get<uint64_t>() - 1) >> 24;
      ASSERT_EQ(label[0] == 'D', sentinel.value("DeltaFrom", "") != "")
          << label << " " << b.taken.name;
    }
    EXPECT_EQ(SentinelJson(*history_, B("D2b").taken.name).value("DeltaFrom", ""),
              B("D2a").taken.name);
    // Something to delete before the oldest backup, and between every two fulls.
    std::vector<std::string> wal = history_->ListObjects("wal_005");
    auto segments_before = [&](const std::string& label) {
      return std::count_if(wal.begin(), wal.end(), [&](const std::string& o) {
        auto s = SegmentOf(o);
        return s && *s < B(label).start_segment;
      });
    };
    ASSERT_GT(segments_before("F1"), 0) << "precondition: WAL before the first backup";
    ASSERT_GT(segments_before("F2"), segments_before("F1") + 1);
    ASSERT_GT(segments_before("F3"), segments_before("F2") + 1);
  }

  // A fresh copy of the (directory) history with a config of its own.
  std::unique_ptr<WalnutConfig> CopyOfHistory() const {
    auto copy = NewConfig(TestStorage::kDirectory, "copy");
    CommandResult r = RunCommand("cp -a " + ShellQuote((history_->storage_dir() / ".").string()) +
                                 " " + ShellQuote(copy->storage_dir().string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return copy;
  }

  const HistoryBackup& B(const std::string& label) const {
    auto it = backups_.find(label);
    if (it == backups_.end()) throw std::logic_error("no backup labelled " + label);
    return it->second;
  }
  std::vector<std::string> Names(const std::vector<std::string>& labels) const {
    std::vector<std::string> names;
    for (const auto& label : labels) names.push_back(B(label).taken.name);
    return names;
  }

  // Checks what is left after a delete that started from `before`.
  void ExpectOutcome(const WalnutConfig& config, const StorageState& before,
                     const Outcome& outcome) const {
    const std::vector<std::string> kept = Names(outcome.kept);
    std::vector<std::string> listed = BackupNames(config);
    std::sort(listed.begin(), listed.end());
    std::vector<std::string> expected_listed = kept;
    std::sort(expected_listed.begin(), expected_listed.end());
    EXPECT_EQ(listed, expected_listed) << "the backups backup-list shows";

    // Every object of a kept backup or folder stays; nothing else of basebackups_005/.
    std::vector<std::string> owners = kept;
    owners.insert(owners.end(), outcome.folders.begin(), outcome.folders.end());
    std::vector<std::string> expected_objects;
    for (const auto& object : before.backups) {
      if (std::any_of(owners.begin(), owners.end(),
                      [&](const std::string& name) { return BelongsTo(object, name); })) {
        expected_objects.push_back(object);
      }
    }
    EXPECT_EQ(config.ListObjects("basebackups_005"), expected_objects)
        << "the objects under basebackups_005/";
    ExpectWal(config, before, outcome);
  }

  void ExpectWal(const WalnutConfig& config, const StorageState& before,
                 const Outcome& outcome) const {
    const std::vector<std::string> after = config.ListObjects("wal_005");
    if (outcome.no_wal) {
      EXPECT_EQ(after, std::vector<std::string>{}) << "WAL left after everything";
      return;
    }
    if (outcome.wal_from.empty()) {
      EXPECT_EQ(after, before.wal) << "the WAL changed";
      return;
    }
    const uint64_t from = B(outcome.wal_from).start_segment;
    const std::set<std::string> left(after.begin(), after.end());
    for (const auto& object : after) {
      EXPECT_NE(std::find(before.wal.begin(), before.wal.end(), object), before.wal.end())
          << "wal_005/" << object << " appeared";
    }
    int deleted = 0;
    for (const auto& object : before.wal) {
      const std::optional<uint64_t> segment = SegmentOf(object);
      bool must_stay = !segment || *segment >= from;  // history files never go
      bool may_stay = must_stay;
      for (const auto& label : segment ? outcome.wal_ranges : std::vector<std::string>{}) {
        const HistoryBackup& b = B(label);
        if (*segment >= b.start_segment && *segment <= b.finish_segment) must_stay = true;
        // Where exactly a range begins and ends (start - 1, finish + 1) is the delete's choice.
        if (*segment + 1 >= b.start_segment && *segment <= b.finish_segment + 1) may_stay = true;
      }
      const bool stayed = left.contains(object);
      if (must_stay) {
        EXPECT_TRUE(stayed) << "wal_005/" << object << " was deleted (needed from segment " << from
                            << " on, or by a kept backup)";
      } else if (!may_stay) {
        EXPECT_FALSE(stayed) << "wal_005/" << object << " was kept (before "
                             << B(outcome.wal_from).taken.name << ")";
      }
      deleted += stayed ? 0 : 1;
    }
    EXPECT_GT(deleted, 0) << "no WAL was deleted";
  }

  // `delete <args>` as a dry run (exit 0, nothing changes, a "would delete backup" line for each
  // backup it deletes and none for a kept one, a last "Dry run:" line), then with --confirm
  // ("deleted backup" lines, a last "Deleted " line), and what it left.
  void DeleteAndExpect(const WalnutConfig& config, const std::string& args,
                       const Outcome& outcome) const {
    SCOPED_TRACE("delete " + args);
    const StorageState before = State(config);
    const std::vector<std::string> kept_names = Names(outcome.kept);
    const std::set<std::string> kept(kept_names.begin(), kept_names.end());
    std::set<std::string> doomed;
    for (const auto& name : BackupNames(config)) {
      if (!kept.contains(name)) doomed.insert(name);
    }
    auto expect_log = [&](const CommandResult& r, const std::string& phrase) {
      const std::set<std::string> named = NamesAfter(r.err, phrase);
      for (const auto& name : doomed) {
        EXPECT_TRUE(named.contains(name)) << "no '" << phrase << name << "' in:\n" << r.err;
      }
      for (const auto& name : kept) {
        EXPECT_FALSE(named.contains(name)) << "'" << phrase << name << "' in:\n" << r.err;
      }
    };

    CommandResult dry = config.Run("delete " + args);
    EXPECT_EQ(dry.exit_code, 0) << dry.err;
    expect_log(dry, "would delete backup ");
    EXPECT_TRUE(LastMessage(dry.err).starts_with("Dry run:")) << dry.err;
    EXPECT_EQ(State(config), before) << "the dry run changed the storage";
    const std::vector<std::string> named = NamedForDeletion(dry.err);

    CommandResult r = config.Run("delete --confirm " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    expect_log(r, "deleted backup ");
    EXPECT_TRUE(LastMessage(r.err).starts_with("Deleted ")) << r.err;
    ExpectOutcome(config, before, outcome);
    ExpectNamedWereDeleted(named, before, State(config));
  }

  // The dry run named each object the delete then removed, once, and nothing else (but the
  // archive's identity record, which only everything removes).
  static void ExpectNamedWereDeleted(const std::vector<std::string>& named,
                                     const StorageState& before, const StorageState& after) {
    std::set<std::string> deleted;
    auto gone = [&](const std::vector<std::string>& was, const std::vector<std::string>& is,
                    const std::string& folder) {
      const std::set<std::string> left(is.begin(), is.end());
      for (const auto& object : was) {
        if (!left.contains(object)) deleted.insert(folder + object);
      }
    };
    gone(before.backups, after.backups, "basebackups_005/");
    gone(before.wal, after.wal, "wal_005/");
    std::set<std::string> named_set(named.begin(), named.end());
    EXPECT_EQ(named_set.size(), named.size()) << "an object was named twice";
    named_set.erase("walnut_archive.json");
    // The temporary files of unfinished uploads are named too, but st ls does not list them
    // (StTest.KilledPutLeavesNothingVisible checks that delete garbage removes them).
    std::erase_if(named_set, [](const std::string& key) {
      return key.find(".walnut-tmp-") != std::string::npos;
    });
    EXPECT_EQ(named_set, deleted) << "the dry run's list differs from what was deleted";
  }

  // `delete --confirm <args>` fails with `exit_code` and one ERROR line naming `words`, and
  // changes nothing.
  static void ExpectRefused(const WalnutConfig& config, const std::string& args, int exit_code,
                            std::initializer_list<std::string_view> words) {
    SCOPED_TRACE("delete " + args);
    const StorageState before = State(config);
    CommandResult r = config.Run("delete --confirm " + args);
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    ExpectOneErrorLine(r, words);
    EXPECT_EQ(State(config), before) << "a refused delete changed the storage";
  }

  // `delete <args> --confirm` finds nothing to delete: exit 0, says so, changes nothing.
  static void ExpectNothingToDelete(const WalnutConfig& config, const std::string& args) {
    SCOPED_TRACE("delete " + args);
    const StorageState before = State(config);
    CommandResult r = config.Run("delete " + args + " --confirm");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("nothing to delete"), std::string::npos) << r.err;
    EXPECT_EQ(State(config), before) << "the storage changed";
  }

  // Marks backup `label` permanent the way WAL-G's backup-mark stores it, is_permanent in its
  // metadata.json, but only this backup's (backup-mark also marks its bases): delete must keep
  // the bases of a permanent delta by itself.
  void SetPermanent(const WalnutConfig& config, const std::string& label) const {
    const std::string object = B(label).taken.name + "/metadata.json";
    Json metadata = BackupJson(config, object);
    ASSERT_TRUE(metadata.contains("is_permanent")) << metadata.dump();
    metadata["is_permanent"] = true;
    CommandResult r = config.Run("st put --no-compress --no-encrypt -f - basebackups_005/" + object,
                                 metadata.dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(BackupJson(config, object).value("is_permanent", false), true);
  }

  // Restores backup `label` (to its restore point, or only to its consistency point when its
  // later WAL may be gone) and compares its dump; amcheck is the restore tests' job.
  void Restore(const WalnutConfig& config, const std::string& label,
               bool to_consistency = false) const {
    RestoreAndCheck(config, B(label).taken, {.to_consistency = to_consistency, .amcheck = false});
  }
  void RestoreLatest(const WalnutConfig& config) const {
    TakenBackup latest = B("D3").taken;
    latest.name = "LATEST";
    RestoreAndCheck(config, latest, {.amcheck = false});
  }

  // backup-fetch alone (no recovery): the backup's objects are all there and sound.
  static void ExpectFetches(const WalnutConfig& config, const std::string& name) {
    TempDir target;
    GrantToPgRunUser(target.path());
    CommandResult r =
        config.Run("backup-fetch " + ShellQuote((target.path() / "data").string()) + " " + name);
    EXPECT_EQ(r.exit_code, 0) << "backup-fetch " << name << ": " << r.err;
  }

  // Removes a backup's sentinel: its folder is then what a failed push leaves.
  void RemoveSentinel(const WalnutConfig& config, const std::string& label) const {
    CommandResult r =
        config.Run("st rm basebackups_005/" + B(label).taken.name + "_backup_stop_sentinel.json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // A backup-push of the source killed once it has stored a few objects: returns the name of the
  // folder it leaves (without a sentinel).
  std::string KillPushMidway() {
    const std::vector<std::string> before = history_->ListObjects("basebackups_005");
    source_.Pgbench("-n -c 1 -t 200");
    const char* path = std::getenv("PATH");
    BackgroundCommand push(
        "env -i PATH=" + ShellQuote(path ? path : "/usr/bin:/bin") + " " + source_.ConnectionEnv() +
        " " +
        history_->CommandLine("backup-push --full " + ShellQuote(source_.data_dir().string())));
    std::string folder;
    bool finished = false;  // a new sentinel: too late
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (folder.empty() && !finished && std::chrono::steady_clock::now() < deadline) {
      int new_objects = 0;
      for (const auto& object : history_->ListObjects("basebackups_005")) {
        if (std::find(before.begin(), before.end(), object) != before.end()) continue;
        finished = object.find('/') == std::string::npos;
        if (finished) break;
        if (++new_objects >= 2) {
          folder = object.substr(0, object.find('/'));
          break;
        }
      }
    }
    EXPECT_TRUE(push.Kill()) << "backup-push finished before it could be killed";
    CommandResult r = push.Wait();
    EXPECT_NE(r.exit_code, 0) << "backup-push was not killed: " << r.err;
    EXPECT_FALSE(folder.empty()) << "backup-push stored nothing in 60 s: " << r.err;
    EXPECT_EQ(BackupNames(*history_), Names(kLabels)) << "the killed push left a listed backup";
    return folder;
  }

  inline static const std::vector<std::string> kLabels = {"F1",  "D1", "F2", "D2a",
                                                          "D2b", "F3", "D3"};
  BackupSource source_;
  std::unique_ptr<WalnutConfig> history_;
  std::map<std::string, HistoryBackup> backups_;
  std::string before_f2_;  // RFC 3339, after D1 finished and before F2 started
};

// retain [FULL|FIND_FULL] N [--after], before [FIND_FULL] NAME|TIME: the target each chooses,
// a delta target refused, fewer backups than asked deleting nothing, usage errors.
TEST_F(DeleteIt, RetainAndBeforePickTheirTargetAndTheRestRestores_Directory) {
  BuildHistory(TestStorage::kDirectory);
  ASSERT_NO_FATAL_FAILURE(FinishHistory());
  const Outcome from_f3{.kept = {"F3", "D3"}, .wal_from = "F3"};
  const Outcome from_f2{.kept = {"F2", "D2a", "D2b", "F3", "D3"}, .wal_from = "F2"};
  {
    SCOPED_TRACE("retain FULL 1");
    auto copy = CopyOfHistory();
    DeleteAndExpect(*copy, "retain FULL 1", from_f3);
    Restore(*copy, "F3");
    RestoreLatest(*copy);
  }
  {
    SCOPED_TRACE("retain FIND_FULL 3: the 3rd newest is D2b, whose full is F2");
    auto copy = CopyOfHistory();
    DeleteAndExpect(*copy, "retain FIND_FULL 3", from_f2);
    Restore(*copy, "F2");
    Restore(*copy, "D2b");
  }
  {
    SCOPED_TRACE("retain 3 (D2b, a delta) is refused; retain 2 --after TIME reaches back to F2");
    auto copy = CopyOfHistory();
    ExpectRefused(*copy, "retain 3", 1, {kIncrementalTarget});
    // The same state as FIND_FULL 3's above, which was restored: the listing and WAL checks
    // are exact, so no restore again.
    DeleteAndExpect(*copy, "retain 2 --after " + before_f2_, from_f2);
  }
  {
    SCOPED_TRACE("retain FULL 1 -a NAME");
    auto copy = CopyOfHistory();
    // -a: WAL-G's shorthand of --after.
    DeleteAndExpect(*copy, "retain FULL 1 -a " + B("F2").taken.name, from_f2);
  }
  {
    SCOPED_TRACE("before NAME");
    auto copy = CopyOfHistory();
    ExpectRefused(*copy, "before " + B("D2b").taken.name, 1, {kIncrementalTarget});
    DeleteAndExpect(*copy, "before " + B("F3").taken.name, from_f3);
    Restore(*copy, "F3");
  }
  {
    SCOPED_TRACE("before FIND_FULL NAME");
    auto copy = CopyOfHistory();
    DeleteAndExpect(*copy, "before FIND_FULL " + B("D2b").taken.name, from_f2);
  }
  {
    SCOPED_TRACE("before TIME");
    auto copy = CopyOfHistory();
    DeleteAndExpect(*copy, "before " + before_f2_, from_f2);
    Restore(*copy, "F2");
  }

  {
    SCOPED_TRACE("retain 7: the oldest backup is the target, only older WAL goes");
    auto copy = CopyOfHistory();
    DeleteAndExpect(*copy, "retain 7", {.kept = kLabels, .wal_from = "F1"});
  }

  // Nothing to delete: fewer backups (or fulls) than asked, no backup after the time.
  ExpectNothingToDelete(*history_, "retain 8");
  ExpectNothingToDelete(*history_, "retain FULL 4");
  ExpectNothingToDelete(*history_, "retain FIND_FULL 8");
  ExpectNothingToDelete(*history_, "before 2200-01-01T00:00:00Z");

  // Usage errors: exit 2, one ERROR line, nothing changed.
  ExpectRefused(*history_, "retain", 2, {});
  ExpectRefused(*history_, "retain many", 2, {"many"});
  ExpectRefused(*history_, "retain -3", 2, {});
  ExpectRefused(*history_, "retain FULL", 2, {});
  ExpectRefused(*history_, "sideways 2", 2, {"sideways"});
  ExpectRefused(*history_, "before", 2, {});
  ExpectRefused(*history_, "before base_000000010000000000000001", 1,
                {"base_000000010000000000000001"});  // no such backup
}

// Permanent backups are kept with their WAL and their bases; target deletes a backup with its
// dependents (FIND_FULL: the whole chain) and no WAL; everything needs FORCE while a backup is
// permanent.
TEST_F(DeleteIt, PermanentBackupsTargetAndEverything_Directory) {
  BuildHistory(TestStorage::kDirectory);
  ASSERT_NO_FATAL_FAILURE(FinishHistory());
  {
    SCOPED_TRACE("a permanent full");
    auto copy = CopyOfHistory();
    CommandResult mark = copy->Run("backup-mark " + B("F1").taken.name);
    ASSERT_EQ(mark.exit_code, 0) << mark.err;
    DeleteAndExpect(*copy, "retain FULL 1",
                    {.kept = {"F1", "F3", "D3"}, .wal_from = "F3", .wal_ranges = {"F1"}});
    Restore(*copy, "F1", /*to_consistency=*/true);
    Restore(*copy, "F3");
    ExpectRefused(*copy, "target " + B("F1").taken.name, 1, {"permanent"});
    ExpectRefused(*copy, "everything", 1, {"permanent", "FORCE"});
    // FORCE deletes the permanent backup too (its sentinel is not put back as if it had been
    // marked during the delete).
    DeleteAndExpect(*copy, "everything FORCE", {.kept = {}, .no_wal = true});
    CommandResult list = copy->Run("backup-list");
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.err.find("No backups found"), std::string::npos) << list.err;
  }
  {
    SCOPED_TRACE("a permanent delta: its base stays with it");
    auto copy = CopyOfHistory();
    SetPermanent(*copy, "D2a");
    DeleteAndExpect(
        *copy, "retain FULL 1",
        {.kept = {"F2", "D2a", "F3", "D3"}, .wal_from = "F3", .wal_ranges = {"F2", "D2a"}});
    Restore(*copy, "D2a", /*to_consistency=*/true);
    Restore(*copy, "F2", /*to_consistency=*/true);
    ExpectRefused(*copy, "target " + B("F2").taken.name, 1, {"permanent"});
    ExpectRefused(*copy, "target FIND_FULL " + B("D2a").taken.name, 1, {"permanent"});
  }
  {
    SCOPED_TRACE("target NAME: a delta and its dependent");
    auto copy = CopyOfHistory();
    ExpectRefused(*copy, "target base_000000010000000000000001", 1,
                  {"base_000000010000000000000001"});
    DeleteAndExpect(*copy, "target " + B("D2a").taken.name,
                    {.kept = {"F1", "D1", "F2", "F3", "D3"}});
    Restore(*copy, "F2");
    RestoreLatest(*copy);
  }
  {
    SCOPED_TRACE("target FIND_FULL NAME: the whole chain");
    auto copy = CopyOfHistory();
    DeleteAndExpect(*copy, "target FIND_FULL " + B("D2b").taken.name,
                    {.kept = {"F1", "D1", "F3", "D3"}});
    Restore(*copy, "D1");
  }
  {
    SCOPED_TRACE("everything without a permanent backup");
    auto copy = CopyOfHistory();
    DeleteAndExpect(*copy, "everything", {.kept = {}, .no_wal = true});
  }
}

// Folders without a sentinel (a killed backup-push, a removed sentinel): kept while younger
// than WALNUT_DELETE_PENDING_AGE, with their base chain and the WAL from their start on; garbage
// otherwise. garbage ARCHIVES deletes the WAL before the oldest backup.
TEST_F(DeleteIt, GarbageAndBackupsBeingPushed_Directory) {
  BuildHistory(TestStorage::kDirectory);
  const std::string killed = KillPushMidway();
  ASSERT_NO_FATAL_FAILURE(FinishHistory());
  ASSERT_FALSE(killed.empty());
  {
    SCOPED_TRACE("young leftovers (default WALNUT_DELETE_PENDING_AGE) are left alone");
    auto copy = CopyOfHistory();
    RemoveSentinel(*copy, "D2b");  // now a leftover delta of D2a, as if being pushed
    const StorageState before = State(*copy);
    CommandResult r = copy->Run("delete garbage BACKUPS --confirm");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(State(*copy), before) << "young leftover folders were touched: " << r.err;
    // retain FULL 1 keeps D2b's folder, its bases and the WAL from its start on.
    // The base of folder base_<B>_D_<A> is D2a, base_<A>_D_<F2>: WAL-G names a delta by its
    // base's start segment only, and the base may be a delta itself.
    DeleteAndExpect(*copy, "retain FULL 1",
                    {.kept = {"F2", "D2a", "F3", "D3"},
                     .wal_from = "D2b",
                     .wal_ranges = {"F2", "D2a"},
                     .folders = {B("D2b").taken.name, killed}});
    Restore(*copy, "D2a", /*to_consistency=*/true);
  }
  {
    SCOPED_TRACE("WALNUT_DELETE_PENDING_AGE=0s: leftovers are garbage");
    auto copy = CopyOfHistory();
    RemoveSentinel(*copy, "D2b");
    copy->Set("WALNUT_DELETE_PENDING_AGE", "0s");
    const std::vector<std::string> all_but_d2b = {"F1", "D1", "F2", "D2a", "F3", "D3"};
    DeleteAndExpect(*copy, "garbage BACKUPS", {.kept = all_but_d2b});
    Restore(*copy, "D2a");  // its dependent's folder went, nothing of its own
    DeleteAndExpect(*copy, "garbage ARCHIVES", {.kept = all_but_d2b, .wal_from = "F1"});
    Restore(*copy, "F1");
    RestoreLatest(*copy);
  }
}

// kill -9 of a delete at random points: every backup still listed restores, `delete garbage`
// then leaves no folder without a sentinel, and the delete run again finishes the job.
// Makes a delete of `copy` last long enough to be killed in each of its phases: 400 small objects
// in the folder of each backup retain FULL 1 deletes (outside tar_partitions/, so a fetch of a
// backup still listed never reads them), and 2,000 WAL objects named after F1's start segment
// (".backup" history files, which no restore asks for).
void PadForAKill(const WalnutConfig& copy, const std::vector<std::string>& doomed,
                 const std::string& f1_start) {
  namespace fs = std::filesystem;
  for (const auto& name : doomed) {
    const fs::path dir = copy.storage_dir() / "basebackups_005" / name / "padding";
    fs::create_directories(dir);
    for (int i = 0; i < 400; ++i) WriteFile(dir / ("object_" + std::to_string(i)), "x");
  }
  char suffix[32];
  for (int i = 0; i < 2000; ++i) {
    std::snprintf(suffix, sizeof(suffix), ".%08X.backup.lz4", i);
    WriteFile(copy.storage_dir() / "wal_005" / (f1_start + suffix), "x");
  }
  GrantToPgRunUser(copy.storage_dir());
}

TEST_F(DeleteIt, InterruptedDeleteLeavesEveryListedBackupRestorable_Directory) {
  BuildHistory(TestStorage::kDirectory);
  ASSERT_NO_FATAL_FAILURE(FinishHistory());
  const StorageState history = State(*history_);
  const std::vector<std::string> doomed = Names({"F1", "D1", "F2", "D2a", "D2b"});
  const std::string f1_start = B("F1").taken.name.substr(5, 24);
  const Outcome retained{.kept = {"F3", "D3"}, .wal_from = "F3"};
  const std::string command = "delete retain FULL 1 --confirm";

  // How long a whole delete takes here, from the moment it is known to run (as in the trials),
  // to kill later ones within it.
  std::chrono::steady_clock::duration whole{};
  {
    auto copy = CopyOfHistory();
    PadForAKill(*copy, doomed, f1_start);
    BackgroundCommand del(copy->IsolatedCommandLine(command));
    del.Pid();
    const auto started = std::chrono::steady_clock::now();
    CommandResult r = del.Wait();
    whole = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ExpectOutcome(*copy, history, retained);
  }
  const auto seed = std::random_device{}();
  std::mt19937 random(seed);
  std::printf(
      "[ measure ] whole delete %.1f ms (%zu objects, 4,000 more of padding); kill seed %u\n",
      std::chrono::duration<double, std::milli>(whole).count(),
      history.backups.size() + history.wal.size(), seed);

  constexpr int kTrials = 4;
  int interrupted = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    // One random point in each quarter of the first 60 % of the run (the rest is the command
    // line's runuser and exit, measured too).
    const double fraction =
        0.6 * (trial + std::uniform_real_distribution<double>(0, 1)(random)) / kTrials;
    SCOPED_TRACE("kill at " + std::to_string(fraction) + " of the run, seed " +
                 std::to_string(seed));
    auto copy = CopyOfHistory();
    PadForAKill(*copy, doomed, f1_start);
    BackgroundCommand del(copy->IsolatedCommandLine(command));
    del.Pid();
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::duration<double>(whole) * fraction));
    del.Kill();
    const CommandResult r = del.Wait();
    const std::vector<std::string> listed = BackupNames(*copy);
    const bool partial = r.exit_code != 0 && listed.size() != kLabels.size() &&
                         listed.size() != retained.kept.size();
    interrupted += r.exit_code != 0 ? 1 : 0;
    std::printf("[ measure ] trial %d: killed at %.2f (exit %d), %zu backups listed%s\n", trial,
                fraction, r.exit_code, listed.size(), partial ? " (mid-delete)" : "");

    // The retained backups are all there, and no delta is listed without its base.
    const std::vector<std::string> all = Names(kLabels);
    std::vector<std::string> listed_labels;
    for (size_t i = 0; i < all.size(); ++i) {
      if (std::find(listed.begin(), listed.end(), all[i]) != listed.end()) {
        listed_labels.push_back(kLabels[i]);
      }
    }
    ASSERT_EQ(listed_labels.size(), listed.size()) << ::testing::PrintToString(listed);
    ASSERT_GE(listed.size(), 2u);
    EXPECT_EQ(listed_labels[listed_labels.size() - 2], "F3");
    EXPECT_EQ(listed_labels.back(), "D3");
    for (const auto& label : listed_labels) {
      const std::string base = SentinelJson(*copy, B(label).taken.name).value("DeltaFrom", "");
      EXPECT_TRUE(base.empty() || std::find(listed.begin(), listed.end(), base) != listed.end())
          << label << " is listed without its base " << base;
    }
    // Every listed backup fetches; the oldest and LATEST also recover to their restore points.
    for (size_t i = 1; i + 1 < listed_labels.size(); ++i) {
      ExpectFetches(*copy, B(listed_labels[i]).taken.name);
    }
    Restore(*copy, listed_labels.front());
    RestoreLatest(*copy);

    copy->Set("WALNUT_DELETE_PENDING_AGE", "0s");
    CommandResult garbage = copy->Run("delete garbage --confirm");
    EXPECT_EQ(garbage.exit_code, 0) << garbage.err;
    EXPECT_EQ(BackupNames(*copy), listed) << "garbage deleted a listed backup";
    for (const auto& object : copy->ListObjects("basebackups_005")) {
      EXPECT_TRUE(std::any_of(listed.begin(), listed.end(),
                              [&](const std::string& name) { return BelongsTo(object, name); }))
          << "basebackups_005/" << object << " belongs to no listed backup after garbage";
    }

    CommandResult again = copy->Run(command);
    EXPECT_EQ(again.exit_code, 0) << again.err;
    ExpectOutcome(*copy, history, retained);
  }
  EXPECT_GE(interrupted, 2) << "most kills must land while the delete runs";
}

// The main scenario on each S3 server (s3rver; Ceph RGW, which checks signatures and DeleteObjects'
// Content-MD5 as AWS does), one delete after the other on the same history.
class DeleteS3It : public DeleteIt, public ::testing::WithParamInterface<TestStorage> {};

TEST_P(DeleteS3It, RetainAndTarget) {
  WALNUT_SKIP_UNLESS_AVAILABLE(GetParam());
  BuildHistory(GetParam());
  ASSERT_NO_FATAL_FAILURE(FinishHistory());
  // WAL-G's --use-sentinel-time is accepted (Walnut orders by start time in any case).
  DeleteAndExpect(*history_, "--use-sentinel-time retain FULL 2",
                  {.kept = {"F2", "D2a", "D2b", "F3", "D3"}, .wal_from = "F2"});
  Restore(*history_, "F2");
  RestoreLatest(*history_);
  // D2a picked by the user data it was pushed with.
  DeleteAndExpect(*history_, "target --target-user-data " + ShellQuote(kD2aUserData),
                  {.kept = {"F2", "F3", "D3"}});
  Restore(*history_, "F3");
}

INSTANTIATE_TEST_SUITE_P(S3Servers, DeleteS3It, ::testing::ValuesIn(kS3Servers),
                         TestStorageParamName);

// delete everything also clears the archive's recorded cluster identity, so that the emptied
// storage takes a new cluster's WAL: before, the new cluster's archiving was refused for good.
// Also: a script's own file pushed next to the WAL (archived as WAL-G does) and fetched back.
void EverythingLetsANewClusterArchive(TestStorage storage) {
  WalnutConfig config(storage, "delete-everything-identity");
  config.SetCompression("lz4");
  BackupSource old_cluster;
  old_cluster.StartArchiving(config);
  ASSERT_FALSE(old_cluster.Push(config).empty());
  old_cluster.ArchiveAll();
  {
    SCOPED_TRACE("a script's own file");
    const fs::path manifest = old_cluster.dir() / "backup_manifest";
    WriteFile(manifest, "{\"manifest\": 1}\n");
    GrantToPgRunUser(manifest);
    CommandResult r = config.Run("wal-push " + ShellQuote(manifest.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("is not a WAL file"), std::string::npos) << r.err;
    const fs::path back = old_cluster.dir() / "fetched_manifest";
    r = config.Run("wal-fetch backup_manifest " + ShellQuote(back.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ReadFile(back), "{\"manifest\": 1}\n");
  }
  old_cluster.Stop();
  auto root_listing = [&] { return config.Run("st ls").out; };
  ASSERT_NE(root_listing().find("walnut_archive.json"), std::string::npos) << root_listing();

  CommandResult dry = config.Run("delete everything");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  const std::vector<std::string> named = NamedForDeletion(dry.err);
  EXPECT_NE(std::find(named.begin(), named.end(), "walnut_archive.json"), named.end()) << dry.err;
  EXPECT_NE(std::find(named.begin(), named.end(), "wal_005/backup_manifest.lz4"), named.end())
      << dry.err;
  EXPECT_NE(root_listing().find("walnut_archive.json"), std::string::npos);

  CommandResult r = config.Run("delete everything FORCE --confirm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("deleted the archive's cluster identity record walnut_archive.json"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(config.ListObjects("wal_005"), std::vector<std::string>{});
  EXPECT_EQ(root_listing().find("walnut_archive.json"), std::string::npos) << root_listing();

  // A new cluster (a new database system) archives into the same storage and backs up there.
  BackupSource new_cluster;
  new_cluster.StartArchiving(config);
  ASSERT_FALSE(new_cluster.Push(config).empty());
  new_cluster.ArchiveAll();
  EXPECT_EQ(new_cluster.Archiver().failed_count, 0) << new_cluster.ServerLog();
  EXPECT_EQ(BackupNames(config).size(), 1u);
  EXPECT_NE(root_listing().find("walnut_archive.json"), std::string::npos);
}

TEST(DeleteEverythingIt, ClearsTheArchiveIdentityForANewCluster_Directory) {
  EverythingLetsANewClusterArchive(TestStorage::kDirectory);
}

class DeleteEverythingS3It : public ::testing::TestWithParam<TestStorage> {};

TEST_P(DeleteEverythingS3It, ClearsTheArchiveIdentityForANewCluster) {
  WALNUT_SKIP_UNLESS_AVAILABLE(GetParam());
  EverythingLetsANewClusterArchive(GetParam());
}

INSTANTIATE_TEST_SUITE_P(S3Servers, DeleteEverythingS3It, ::testing::ValuesIn(kS3Servers),
                         TestStorageParamName);

// The name of WAL segment `segment` of timeline 1 (16 MiB segments).
std::string WalName(uint64_t segment) {
  char name[25];
  std::snprintf(name, sizeof name, "%08X%08X%08X", 1u, static_cast<unsigned>(segment / 256),
                static_cast<unsigned>(segment % 256));
  return name;
}

// A backup as delete sees it: sentinel, metadata.json, files_metadata.json and one tar part, in
// WAL-G's formats, starting in `segment` at `time` (the tar holds no data: delete never reads it).
void PutFakeBackup(Storage& storage, uint64_t segment, const std::string& time) {
  const std::string name = "base_" + WalName(segment);
  const uint64_t lsn = (segment << 24) + 0x28;
  const uint64_t finish = (segment << 24) + 0x100000;
  const uint64_t system_identifier = 7300000000000000001;
  const Json sentinel = {{"LSN", lsn},
                         {"PgVersion", 150004},
                         {"FinishLSN", finish},
                         {"SystemIdentifier", system_identifier},
                         {"UncompressedSize", 1000},
                         {"CompressedSize", 100},
                         {"Version", 2},
                         {"StartTime", time},
                         {"FinishTime", time},
                         {"DateFmt", "%Y-%m-%dT%H:%M:%S.%fZ"},
                         {"Hostname", "it"},
                         {"DataDir", "/pgdata"},
                         {"IsPermanent", false}};
  const Json metadata = {{"start_time", time},
                         {"finish_time", time},
                         {"date_fmt", "%Y-%m-%dT%H:%M:%S.%fZ"},
                         {"hostname", "it"},
                         {"data_dir", "/pgdata"},
                         {"pg_version", 150004},
                         {"start_lsn", lsn},
                         {"finish_lsn", finish},
                         {"is_permanent", false},
                         {"system_identifier", system_identifier},
                         {"uncompressed_size", 1000},
                         {"compressed_size", 100}};
  const Json files = {{"Files", Json::object()},
                      {"TarFileSets", {{"part_001.tar.lz4", Json::array()}}}};
  auto put = [&](const std::string& key, const std::string& data) {
    auto writer = storage.Put(key);
    writer->Write(AsBytes(data));
    writer->Close();
  };
  put("basebackups_005/" + name + "/tar_partitions/part_001.tar.lz4", "not a tar");
  put("basebackups_005/" + name + "/files_metadata.json", files.dump());
  put("basebackups_005/" + name + "/metadata.json", metadata.dump());
  put("basebackups_005/" + name + "_backup_stop_sentinel.json", sentinel.dump());
}

// 10,000 WAL objects on s3rver (the issue's figure): retain 1 deletes those before the newest
// backup (and the older backup) in DeleteObjects batches of up to 1,000 keys, not one request per
// object, and keeps the WAL from the newest backup on and the history file. The test takes about
// three minutes, nearly all of it in s3rver, which reads the whole wal_005/ directory for each key
// it deletes (its time grows with the square of the count).
TEST(DeleteManyWalIt, TenThousandWalObjectsGoInBatches_S3) {
  // s3rver answers nothing else for minutes while it deletes these: a server of its own keeps the
  // shared one responsive for the tests ctest runs beside this one.
  PrivateS3rver s3rver;
  CliRunner cli;
  cli.UseS3Storage("delete-many-wal");
  cli.Set("AWS_ENDPOINT", s3rver.endpoint());
  // s3rver takes time that grows with the square of the keys for a 1,000-key DeleteObjects (over
  // 30 s on a loaded machine); what is tested here is the batching, not the retry budget.
  cli.Set("WALNUT_STORAGE_RETRY_TIMEOUT", "120s");
  cli.Set("WALG_COMPRESSION_METHOD", "lz4");
  const Environment env(cli.variables().begin(), cli.variables().end());
  const Config config({}, env);
  const std::unique_ptr<Storage> storage = OpenStorage(config, LoadSettings(config));

  constexpr uint64_t kFirst = 1, kCount = 10000, kTarget = 9001;
  constexpr uint64_t kDoomed = kTarget - kFirst;  // WAL objects before the newest backup
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  constexpr uint64_t kThreads = 16;
  for (uint64_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (uint64_t s = kFirst + t; s < kFirst + kCount; s += kThreads) {
          auto writer = storage->Put("wal_005/" + WalName(s) + ".lz4");
          writer->Write(AsBytes("segment " + std::to_string(s)));
          writer->Close();
        }
      } catch (const std::exception& e) {
        if (failures++ == 0) ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);
  {
    auto writer = storage->Put("wal_005/00000002.history.lz4");
    writer->Write(AsBytes("not read"));
    writer->Close();
  }
  const auto now = std::chrono::system_clock::now();
  PutFakeBackup(*storage, 100, Rfc3339(now - std::chrono::hours(2)));
  PutFakeBackup(*storage, kTarget, Rfc3339(now - std::chrono::hours(1)));
  std::printf("[ measure ] %llu WAL objects stored on s3rver in %.1f s\n",
              static_cast<unsigned long long>(kCount),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  ASSERT_EQ(Lines(cli.Run("backup-list").out).size(), 3u);

  cli.Set("WALG_LOG_LEVEL", "DEVEL");
  const auto delete_started = std::chrono::steady_clock::now();
  CommandResult r = cli.Run("delete retain 1 --confirm");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - delete_started).count();
  ASSERT_EQ(r.exit_code, 0) << (r.err.size() > 5000 ? r.err.substr(r.err.size() - 5000) : r.err);
  int batches = 0;
  uint64_t keys = 0;
  static const std::regex batch(R"(DEBUG: .*s3 DeleteObjects: (\d+) keys)");
  for (const auto& line : Lines(r.err)) {
    std::smatch m;
    if (std::regex_search(line, m, batch)) {
      ++batches;
      keys += std::stoull(m[1]);
      EXPECT_LE(std::stoull(m[1]), 1000u) << line;
    }
  }
  std::printf(
      "[ measure ] delete of %llu WAL objects and a backup on s3rver: %.1f s, %d "
      "DeleteObjects requests\n",
      static_cast<unsigned long long>(kDoomed), seconds, batches);
  EXPECT_EQ(keys, kDoomed + 4) << "keys deleted in batches (the WAL, 4 objects of the old backup)";
  EXPECT_GE(batches, static_cast<int>((kDoomed + 999) / 1000));
  EXPECT_LE(batches, static_cast<int>((kDoomed + 999) / 1000) + 4) << "not batched";

  std::vector<std::string> left;
  storage->List("wal_005/", ListOptions{.recursive = true},
                [&](const ObjectInfo& info) { left.push_back(info.key); });
  std::vector<std::string> expected;
  for (uint64_t s = kTarget; s < kFirst + kCount; ++s) {
    expected.push_back("wal_005/" + WalName(s) + ".lz4");
  }
  expected.push_back("wal_005/00000002.history.lz4");
  std::sort(expected.begin(), expected.end());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left.size(), expected.size());
  EXPECT_TRUE(left == expected) << "the WAL left is not exactly segments " << kTarget
                                << " on and the history file";
  std::vector<std::string> backups = Lines(cli.Run("backup-list").out);
  ASSERT_EQ(backups.size(), 2u);
  EXPECT_TRUE(backups[1].starts_with("base_" + WalName(kTarget) + " ")) << backups[1];
}

}  // namespace
}  // namespace walnut::testing
