#include "backup/backup_push.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backup/backup_metadata.h"
#include "backup/backup_name.h"
#include "backup/delta/increment_format.h"
#include "backup/tar_reader.h"
#include "common/mutex.h"
#include "io/digest.h"
#include "io/memory_stream.h"
#include "pipeline/crypto/encryption_detection.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "storage/memory/memory_storage.h"
#include "support/faulty_storage.h"
#include "support/gated_storage.h"
#include "support/test_config.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

constexpr pg::Lsn kStartLsn = 0x2000028;

// A server stand-in: what PostgreSQL answers to pg_backup_start/stop. Its Stop() can play the
// archiver and put the last segment into wal_005/.
class FakeSession : public BackupSession {
 public:
  FakeSession(std::string data_dir, Folder* archive)
      : data_dir_(std::move(data_dir)), archive_(archive) {}
  pg::ArchiveSettings ReadArchiveSettings() override { return archive_settings; }
  BackupStart Start(const std::string&) override {
    ++starts;
    BackupStart start;
    start.lsn = start_lsn;
    start.segment = start_segment;
    start.pg_version = 150004;
    start.system_identifier = 42;
    start.data_directory = data_dir_;
    start.data_checksums = true;
    return start;
  }
  BackupStop Stop() override {
    ++stops;
    if (archive_) {
      auto w = archive_->Put("wal_005/" + pg::WalFileName(last_segment) + ".lz4");
      w->Write(AsBytes("wal"));
      w->Close();
    }
    BackupStop stop;
    stop.lsn = stop_lsn;
    stop.last_segment = last_segment;
    stop.backup_label = "START WAL LOCATION: 0/2000028\n";
    return stop;
  }
  void Abort() noexcept override { ++aborts; }
  int starts = 0, stops = 0, aborts = 0;
  pg::ArchiveSettings archive_settings{
      .mode = "on", .command = "wal-g wal-push %p", .library = "", .in_recovery = false};
  pg::Lsn start_lsn = kStartLsn;
  pg::WalSegment start_segment{1, 2};
  pg::Lsn stop_lsn = 0x3000100;
  pg::WalSegment last_segment{1, 3};

 private:
  std::string data_dir_;
  Folder* archive_;
};

// Records the order in which objects were committed.
class OrderRecordingStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override {
    class W : public Writer {
     public:
      W(std::unique_ptr<Writer> next, std::string key, OrderRecordingStorage& owner)
          : next_(std::move(next)), key_(std::move(key)), owner_(owner) {}
      void Write(ConstByteSpan src) override { next_->Write(src); }
      void Close() override {
        next_->Close();
        MutexLock lock(owner_.mu_);
        owner_.committed_.push_back(key_);
      }
      void Abort() noexcept override { next_->Abort(); }

     private:
      std::unique_ptr<Writer> next_;
      std::string key_;
      OrderRecordingStorage& owner_;
    };
    return std::make_unique<W>(StorageWrapper::Put(key, options), std::string(key), *this);
  }
  std::vector<std::string> committed() const {
    MutexLock lock(mu_);
    return committed_;
  }

 private:
  mutable Mutex mu_;
  std::vector<std::string> committed_ GUARDED_BY(mu_);
};

class BackupPushTest : public ::testing::Test {
 protected:
  BackupPushTest() : storage_(memory_), root_(storage_, "") {
    Touch("PG_VERSION", "15\n");
    Touch("global/pg_control", std::string(8192, 'c'));
    Touch("postmaster.pid", "123");
    for (int i = 0; i < 8; ++i)
      Touch("base/5/" + std::to_string(16384 + i), testing::RandomBytes(40000, i));
    options_.data_dir = pgdata_.str();
    options_.tar_size_threshold = 100000;
    options_.archive_wait_timeout = std::chrono::milliseconds(2000);
    options_.archive_poll_interval = std::chrono::milliseconds(10);
  }
  void Touch(const std::string& relative, const std::string& content) {
    fs::create_directories((pgdata_.path() / relative).parent_path());
    WriteFile(pgdata_.path() / relative, content);
    contents_[relative] = content;
  }
  // A backup that starts and stops in segment 6, after the fixture's default one (2-3).
  FakeSession SessionInSegment6() {
    FakeSession session(pgdata_.str(), &root_);
    session.start_lsn = 0x6000028;
    session.start_segment = {1, 6};
    session.stop_lsn = 0x6000100;
    session.last_segment = {1, 6};
    return session;
  }
  std::string Raw(const std::string& key) { return testing::ReadAll(*root_.Get(key)); }
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    root_.List("", {}, [&](const ObjectInfo& info) { keys.push_back(info.key); });
    return keys;
  }
  bool HasSentinel() {
    for (const auto& key : Keys()) {
      if (key.ends_with(kSentinelSuffix)) return true;
    }
    return false;
  }

  TempDir pgdata_;
  MemoryStorage memory_;
  OrderRecordingStorage storage_;
  Folder root_;
  PipelineOptions pipeline_;
  BackupPushOptions options_{.fs = LocalFs::Default()};
  std::map<std::string, std::string> contents_;
};

TEST_F(BackupPushTest, WritesWalGLayoutWithTheSentinelLast) {
  FakeSession session(pgdata_.str(), &root_);
  auto result = PushBackup(session, root_, pipeline_, options_);
  EXPECT_EQ(result.backup_name, "base_000000010000000000000002");
  EXPECT_EQ(session.stops, 1);
  EXPECT_EQ(session.aborts, 0);

  const std::string name = result.backup_name;
  // 8 files of 40 kB with a 100 kB threshold: 3 files per part, 3 parts; then pg_control and
  // backup_label (which also take numbers in WAL-G, so names are not contiguous).
  std::set<std::string> tars;
  for (const auto& key : Keys()) {
    if (key.starts_with(BackupTarPartitionsKey(name)))
      tars.insert(key.substr(BackupTarPartitionsKey(name).size()));
  }
  EXPECT_EQ(tars, (std::set<std::string>{"part_001.tar.lz4", "part_002.tar.lz4", "part_003.tar.lz4",
                                         "pg_control.tar.lz4", "backup_label.tar.lz4"}));

  // Commit order: data parts, pg_control, backup_label, files_metadata, metadata, sentinel. The
  // test's archiver stores the stop segment in between; only the backup's own objects count here.
  std::vector<std::string> order;
  for (const auto& key : storage_.committed()) {
    if (key.rfind("wal_005/", 0) != 0) order.push_back(key);
  }
  ASSERT_GE(order.size(), 7u);
  EXPECT_EQ(order.back(), BackupSentinelKey(name));
  EXPECT_EQ(order[order.size() - 2], BackupMetadataKey(name));
  EXPECT_EQ(order[order.size() - 3], BackupFilesMetadataKey(name));
  EXPECT_EQ(order[order.size() - 4], BackupTarPartitionsKey(name) + "backup_label.tar.lz4");
  EXPECT_EQ(order[order.size() - 5], BackupTarPartitionsKey(name) + "pg_control.tar.lz4");

  BackupSentinel sentinel = ParseBackupSentinel(Raw(BackupSentinelKey(name)), "sentinel");
  EXPECT_EQ(sentinel.lsn, kStartLsn);
  EXPECT_EQ(sentinel.finish_lsn, 0x3000100u);
  EXPECT_EQ(sentinel.pg_version, 150004);
  EXPECT_EQ(sentinel.system_identifier, 42u);
  EXPECT_EQ(sentinel.data_dir, pgdata_.str());
  EXPECT_GT(sentinel.uncompressed_size, 8 * 40000);
  EXPECT_GT(sentinel.compressed_size, 8 * 40000);  // random data does not compress
  // The walked files: the data, PG_VERSION; pg_control goes into its own tar and is not counted.
  EXPECT_EQ(sentinel.data_catalog_size, 8 * 40000 + 3);
  EXPECT_FALSE(sentinel.spec.has_value());
  ExtendedMetadata metadata = ParseExtendedMetadata(Raw(BackupMetadataKey(name)), "metadata");
  EXPECT_EQ(metadata.start_lsn, kStartLsn);
  EXPECT_FALSE(metadata.is_permanent);

  auto files_reader = root_.Get(BackupFilesMetadataKey(name));
  FilesMetadata files = ReadFilesMetadata(*files_reader, "files_metadata");
  EXPECT_FALSE(files.files.contains("/postmaster.pid"));
  ASSERT_TRUE(files.files.contains("/base/5/16384"));
  EXPECT_EQ(files.files["/base/5/16384"].sha256,
            Digest::Of(AsBytes(contents_["base/5/16384"])).Hex());
  EXPECT_EQ(files.files["/base/5/16384"].size, 40000);
  EXPECT_TRUE(files.files.contains("/base/5"));
  EXPECT_TRUE(files.files.contains("/global/pg_control"));
  EXPECT_EQ(files.tar_file_sets["pg_control.tar.lz4"],
            std::vector<std::string>{"/global/pg_control"});
  EXPECT_EQ(files.tar_file_sets["backup_label.tar.lz4"], std::vector<std::string>{"backup_label"});
  size_t listed = 0;
  for (const auto& [tar, paths] : files.tar_file_sets) listed += paths.size();
  EXPECT_EQ(listed, files.files.size() + 1);  // + backup_label

  // Every streamed object's stored bytes have their SHA-256 in the sentinel (and, where the
  // storage keeps it, in the object's metadata); the documents carry theirs as metadata.
  std::map<std::string, std::string> expected;
  for (const std::string& tar : tars) {
    const std::string key = BackupTarPartitionsKey(name) + tar;
    std::string digest = Digest::Of(AsBytes(Raw(key))).Hex();
    expected["tar_partitions/" + tar] = digest;
    EXPECT_EQ(memory_.Stat(key)->metadata.at(kStoredSha256Metadata), digest) << key;
    EXPECT_EQ(memory_.Stat(key)->metadata.at(kEncryptionMetadata), "none") << key;
  }
  expected["files_metadata.json"] = Digest::Of(AsBytes(Raw(BackupFilesMetadataKey(name)))).Hex();
  EXPECT_EQ(sentinel.stored_sha256, expected);
  for (const std::string& key :
       {BackupSentinelKey(name), BackupMetadataKey(name), BackupFilesMetadataKey(name)}) {
    EXPECT_EQ(memory_.Stat(key)->metadata.at(kContentSha256Metadata),
              Digest::Of(AsBytes(Raw(key))).Hex())
        << key;
  }
}

TEST_F(BackupPushTest, AFailingUploadLeavesNoSentinelAndStopsTheBackup) {
  testing::FaultyStorage faulty(memory_);
  Folder root(faulty, "");
  // The second tar's upload fails when it is committed.
  faulty.FailCall(testing::StorageOp::kClose, 2,
                  Error(ErrorCode::kNetwork, "injected upload failure"));
  FakeSession session(pgdata_.str(), &root);
  auto e = testing::ExpectError([&] { PushBackup(session, root, pipeline_, options_); });
  EXPECT_NE(std::string(e.what()).find("injected"), std::string::npos) << e.what();
  EXPECT_EQ(session.aborts, 1);
  EXPECT_FALSE(HasSentinel());
  Folder plain(memory_, "");
  EXPECT_FALSE(plain.Stat(BackupMetadataKey("base_000000010000000000000002")));
}

// WALG_UPLOAD_QUEUE: with uploads that cannot finish, backup-push lets exactly that many filled
// tars wait for their upload, then holds the walk (rather than piling up tars in memory).
class BackupPushUploadQueueTest : public BackupPushTest,
                                  public ::testing::WithParamInterface<int> {};

TEST_P(BackupPushUploadQueueTest, AtMostUploadQueueFilledTarsWaitForTheirUpload) {
  const size_t queue = static_cast<size_t>(GetParam());
  options_.upload_queue = GetParam();
  options_.tar_size_threshold = 30000;  // every 40 kB file fills a tar of its own: 8 or 9 tars
  testing::GatedStorage gate(memory_, "/tar_partitions/part_");
  Folder root(gate, "");
  FakeSession session(pgdata_.str(), &root);
  BackupPushResult result;
  std::thread push([&] { result = PushBackup(session, root, pipeline_, options_); });
  bool filled = gate.WaitUntilHeld(queue);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  size_t held_while_shut = gate.held();
  gate.Open();
  push.join();

  EXPECT_TRUE(filled);
  EXPECT_EQ(held_while_shut, queue);
  EXPECT_EQ(gate.max_held(), queue);
  EXPECT_TRUE(HasSentinel());
  EXPECT_EQ(result.backup_name, "base_000000010000000000000002");
}

INSTANTIATE_TEST_SUITE_P(QueueLengths, BackupPushUploadQueueTest, ::testing::Values(1, 3));

TEST_F(BackupPushTest, MissingArchivedWalTimesOutWithAdviceAndNoSentinel) {
  FakeSession session(pgdata_.str(), nullptr);  // nothing archives the WAL
  options_.archive_wait_timeout = std::chrono::milliseconds(200);
  auto e = testing::ExpectError([&] { PushBackup(session, root_, pipeline_, options_); });
  std::string message = e.what();
  EXPECT_NE(message.find("000000010000000000000003"), std::string::npos) << message;
  EXPECT_NE(message.find("archive_command"), std::string::npos) << message;
  EXPECT_NE(message.find("last_failed_wal"), std::string::npos) << message;
  EXPECT_FALSE(HasSentinel());
}

TEST_F(BackupPushTest, AServerThatArchivesNothingIsRefusedBeforeTheBackupStarts) {
  FakeSession session(pgdata_.str(), &root_);
  session.archive_settings.mode = "off";
  options_.archive_wait_timeout = std::chrono::seconds(60);
  const auto start = std::chrono::steady_clock::now();
  auto e = testing::ExpectError([&] { PushBackup(session, root_, pipeline_, options_); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  const std::string message = e.what();
  EXPECT_NE(message.find("archive_mode = on"), std::string::npos) << message;
  EXPECT_NE(message.find("WALNUT_ARCHIVE_CHECK=false"), std::string::npos) << message;
  EXPECT_EQ(session.starts, 0);
  EXPECT_TRUE(Keys().empty());

  session.archive_settings.mode = "on";
  session.archive_settings.command = "";
  e = testing::ExpectError([&] { PushBackup(session, root_, pipeline_, options_); });
  EXPECT_NE(std::string(e.what()).find("archive_command is empty"), std::string::npos) << e.what();
  EXPECT_EQ(session.starts, 0);
}

TEST_F(BackupPushTest, WithoutTheArchiveCheckNeitherTheServerNorTheWalIsWaitedFor) {
  FakeSession session(pgdata_.str(), nullptr);  // nothing archives the WAL
  session.archive_settings.mode = "off";        // it reaches the storage another way
  options_.archive_check = false;
  options_.archive_wait_timeout = std::chrono::seconds(60);
  const auto start = std::chrono::steady_clock::now();
  auto result = PushBackup(session, root_, pipeline_, options_);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(session.starts, 1);
  EXPECT_TRUE(HasSentinel());
  EXPECT_EQ(result.backup_name, "base_000000010000000000000002");
}

TEST_F(BackupPushTest, AStandbyIsNotJudgedByItsOwnArchiveMode) {
  // Its primary archives the WAL: the backup goes ahead and waits for it as usual.
  FakeSession session(pgdata_.str(), &root_);
  session.archive_settings.mode = "off";
  session.archive_settings.in_recovery = true;
  PushBackup(session, root_, pipeline_, options_);
  EXPECT_TRUE(HasSentinel());
}

TEST_F(BackupPushTest, WrongDataDirectoryIsRefusedBeforeAnyUpload) {
  TempDir other;
  FakeSession session(other.str(), &root_);
  auto e = testing::ExpectError([&] { PushBackup(session, root_, pipeline_, options_); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("data_directory"), std::string::npos);
  EXPECT_TRUE(Keys().empty());
  EXPECT_EQ(session.aborts, 1);
}

TEST_F(BackupPushTest, CorruptPagesAreRecordedInFilesMetadata) {
  // Block 3 of a real pg_class file, placed at block 3 again: valid. Blocks 0-2 are new pages.
  std::string page = testing::ReadFile(std::string(WALNUT_TEST_SOURCE_DIR) +
                                       "/tests/unit/postgres/testdata/pg_class_block3.page");
  std::string good = std::string(3 * 8192, '\0') + page;
  std::string bad = good;
  bad[3 * 8192 + 500] ^= 0x40;
  Touch("base/5/20000", good);
  Touch("base/5/20001", bad);
  options_.verify_page_checksums = true;
  FakeSession session(pgdata_.str(), &root_);
  auto result = PushBackup(session, root_, pipeline_, options_);
  auto reader = root_.Get(BackupFilesMetadataKey(result.backup_name));
  FilesMetadata files = ReadFilesMetadata(*reader, "files_metadata");
  EXPECT_FALSE(files.files["/base/5/20000"].corrupt_blocks.has_value());
  ASSERT_TRUE(files.files["/base/5/20001"].corrupt_blocks.has_value());
  EXPECT_EQ(files.files["/base/5/20001"].corrupt_blocks->count, 1);
  EXPECT_EQ(files.files["/base/5/20001"].corrupt_blocks->some_blocks, std::vector<uint32_t>{3});
  // The random "relations" of the fixture are not real pages: they are reported too, but the
  // backup still completes (corruption is reported, never fatal, as WAL-G and pgBackRest).
  EXPECT_TRUE(HasSentinel());
}

TEST_F(BackupPushTest, WithoutFilesMetadataWritesNoneAndSaysSo) {
  options_.without_files_metadata = true;
  options_.permanent = true;
  options_.user_data = R"({"k":"v"})";
  FakeSession session(pgdata_.str(), &root_);
  auto result = PushBackup(session, root_, pipeline_, options_);
  EXPECT_FALSE(root_.Stat(BackupFilesMetadataKey(result.backup_name)));
  BackupSentinel sentinel =
      ParseBackupSentinel(Raw(BackupSentinelKey(result.backup_name)), "sentinel");
  EXPECT_TRUE(sentinel.files_metadata_disabled);
  EXPECT_TRUE(sentinel.is_permanent);
  EXPECT_EQ(sentinel.user_data, R"({"k":"v"})");
}

TEST_F(BackupPushTest, AStopRequestAbortsWithoutSentinel) {
  std::atomic<bool> stop{true};
  options_.stop = &stop;
  FakeSession session(pgdata_.str(), &root_);
  auto e = testing::ExpectError([&] { PushBackup(session, root_, pipeline_, options_); });
  EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  EXPECT_EQ(session.aborts, 1);
  EXPECT_FALSE(HasSentinel());
}

// An 8 KiB heap-like page: a valid header with `lsn`, and `fill` as its contents.
std::string Page(pg::Lsn lsn, char fill) {
  std::string page(pg::kBlockSize, fill);
  auto put16 = [&](size_t at, uint16_t v) { std::memcpy(page.data() + at, &v, 2); };
  uint32_t hi = static_cast<uint32_t>(lsn >> 32), lo = static_cast<uint32_t>(lsn);
  std::memcpy(page.data(), &hi, 4);
  std::memcpy(page.data() + 4, &lo, 4);
  put16(8, 0);      // checksum (not verified here)
  put16(10, 0);     // flags
  put16(12, 28);    // lower
  put16(14, 8000);  // upper
  put16(16, 8192);  // special
  put16(18, 8192 | 4);
  return page;
}

DeltaRequest StepsOnly(int max_steps) {
  DeltaRequest request;
  request.max_steps = max_steps;
  return request;
}

void SetOldMtime(const fs::path& path) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(1));
}

// Full, then a delta after one page changed: the relation is an increment of that page, a file
// untouched since long before the full is skipped, a new file and a non-page file go whole.
TEST_F(BackupPushTest, DeltaStoresChangedPagesSkipsUnchangedFilesAndSendsNewFilesWhole) {
  std::string relation = Page(0x1000000, 'a') + Page(0x1000000, 'b') + Page(0x1000000, 'c');
  Touch("base/5/20000", relation);
  SetOldMtime(pgdata_.path() / "PG_VERSION");
  FakeSession full_session(pgdata_.str(), &root_);
  std::string full = PushBackup(full_session, root_, pipeline_, options_).backup_name;

  std::string changed = Page(0x5000000, 'B');
  relation.replace(pg::kBlockSize, pg::kBlockSize, changed);
  Touch("base/5/20000", relation + std::string(pg::kBlockSize, '\0'));  // + a new (zero) page
  Touch("base/5/20001", "new file");
  BackupCatalog catalog(root_);
  options_.delta = ChooseDeltaBase(catalog, StepsOnly(2));
  ASSERT_TRUE(options_.delta.has_value());
  EXPECT_EQ(options_.delta->name, full);
  FakeSession session = SessionInSegment6();
  std::string name = PushBackup(session, root_, pipeline_, options_).backup_name;
  EXPECT_EQ(name, "base_000000010000000000000006_D_000000010000000000000002");

  BackupSentinel sentinel = catalog.LoadSentinel(name);
  EXPECT_EQ(sentinel.delta_from, full);
  EXPECT_EQ(sentinel.delta_full_name, full);
  EXPECT_EQ(sentinel.delta_count, 1);
  EXPECT_EQ(sentinel.delta_lsn, kStartLsn);
  FilesMetadata files = catalog.LoadFilesMetadata(name, sentinel);
  EXPECT_TRUE(files.files["/base/5/20000"].is_incremented);
  EXPECT_TRUE(files.files["/PG_VERSION"].is_skipped);
  EXPECT_FALSE(files.files["/base/5/20001"].is_incremented);
  EXPECT_FALSE(files.files["/base/5/20001"].is_skipped);
  // Random bytes are not pages: stored whole although the base has the file.
  EXPECT_FALSE(files.files["/base/5/16384"].is_incremented);
  EXPECT_FALSE(files.files["/base/5/16384"].is_skipped);
  for (const auto& [tar, paths] : files.tar_file_sets) {
    EXPECT_EQ(std::count(paths.begin(), paths.end(), "/PG_VERSION"), 0) << tar;
  }

  // The increment in the tar: blocks 1 (changed) and 3 (new), in WAL-G's format.
  bool found = false;
  catalog.TarPartitions(name).List("", {}, [&](const ObjectInfo& info) {
    auto reader = MakeDownloadReader(catalog.TarPartitions(name), info.key, pipeline_);
    TarReader tar(*reader, info.key);
    while (auto entry = tar.Next()) {
      if (entry->name != "base/5/20000") continue;
      found = true;
      std::string stored;
      std::vector<std::byte> buffer(65536);
      while (size_t n = tar.ReadContent(buffer))
        stored.append(AsChars(ConstByteSpan(buffer.data(), n)));
      EXPECT_EQ(Digest::Of(AsBytes(stored)).Hex(), files.files["/base/5/20000"].sha256);
      MemoryReader in(stored);
      IncrementHeader header = ReadIncrementHeader(in, stored.size(), "test");
      EXPECT_EQ(header.file_size, 4 * pg::kBlockSize);
      EXPECT_EQ(header.blocks, (std::vector<uint32_t>{1, 3}));
      EXPECT_EQ(stored.substr(header.header_size(), pg::kBlockSize), changed);
      EXPECT_EQ(stored.substr(header.header_size() + pg::kBlockSize),
                std::string(pg::kBlockSize, '\0'));
    }
  });
  EXPECT_TRUE(found);
}

TEST_F(BackupPushTest, DeltaAgainstABaseThatFinishedLaterIsRefusedWithWalGsMessage) {
  FakeSession full_session(pgdata_.str(), &root_);
  PushBackup(full_session, root_, pipeline_, options_);
  options_.delta = ChooseDeltaBase(BackupCatalog(root_), StepsOnly(1));
  ASSERT_TRUE(options_.delta.has_value());
  FakeSession session(pgdata_.str(), &root_);  // starts before the base finished (0x3000100)
  session.start_lsn = 0x2800000;
  Error e = testing::ExpectError([&] { PushBackup(session, root_, pipeline_, options_); });
  EXPECT_NE(std::string(e.what()).find("greater than current LSN"), std::string::npos) << e.what();
  EXPECT_EQ(session.aborts, 1);
}

// The delta reads every page of an incremented file, so it checks every page's checksum too.
TEST_F(BackupPushTest, DeltaVerifiesPageChecksumsOfIncrementedFiles) {
  std::string page = testing::ReadFile(std::string(WALNUT_TEST_SOURCE_DIR) +
                                       "/tests/unit/postgres/testdata/pg_class_block3.page");
  std::string good = std::string(3 * 8192, '\0') + page;
  Touch("base/5/20000", good);
  options_.verify_page_checksums = true;
  FakeSession full_session(pgdata_.str(), &root_);
  PushBackup(full_session, root_, pipeline_, options_);

  std::string bad = good;
  bad[3 * 8192 + 500] ^= 0x40;
  Touch("base/5/20000", bad);
  options_.delta = ChooseDeltaBase(BackupCatalog(root_), StepsOnly(1));
  FakeSession session = SessionInSegment6();
  std::string name = PushBackup(session, root_, pipeline_, options_).backup_name;
  BackupCatalog catalog(root_);
  FilesMetadata files = catalog.LoadFilesMetadata(name, catalog.LoadSentinel(name));
  const BackupFileDescription& file = files.files["/base/5/20000"];
  EXPECT_TRUE(file.is_incremented);
  ASSERT_TRUE(file.corrupt_blocks.has_value());
  EXPECT_EQ(file.corrupt_blocks->some_blocks, std::vector<uint32_t>{3});
}

// A concurrent delete removed the base while the delta was uploading: the delta's sentinel,
// written last, is removed again, so that no backup-list or backup-fetch sees a delta whose base
// is gone. Its data stays for delete garbage.
TEST_F(BackupPushTest, ADeltaWhoseBaseWasDeletedMeanwhileIsNotPublished) {
  FakeSession full_session(pgdata_.str(), &root_);
  const std::string full = PushBackup(full_session, root_, pipeline_, options_).backup_name;
  options_.delta = ChooseDeltaBase(BackupCatalog(root_), StepsOnly(1));
  ASSERT_TRUE(options_.delta.has_value());
  BackupPushObserver observer;
  observer.on_tar_uploaded = [&](const std::string& tar, uint64_t) {
    if (tar.starts_with("backup_label")) root_.Delete(std::array{BackupSentinelKey(full)});
  };
  FakeSession session = SessionInSegment6();
  Error e =
      testing::ExpectError([&] { PushBackup(session, root_, pipeline_, options_, observer); });
  const std::string delta = "base_000000010000000000000006_D_000000010000000000000002";
  EXPECT_EQ(std::string(e.what()),
            "base backup " + full + " was deleted while delta " + delta +
                " was being pushed (a concurrent delete?); the delta was not published; take a "
                "full backup with --full");
  EXPECT_FALSE(HasSentinel());
  // The sentinel was written, then removed: the check ran after it, not before.
  std::vector<std::string> committed = storage_.committed();
  EXPECT_NE(std::find(committed.begin(), committed.end(), BackupSentinelKey(delta)),
            committed.end());
  EXPECT_TRUE(root_.Stat(BackupMetadataKey(delta)));  // garbage for delete garbage
}

}  // namespace
}  // namespace walnut
