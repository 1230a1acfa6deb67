#include "wal/wal_push.h"

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "io/digest.h"
#include "localfs/local_fs.h"
#include "pipeline/content_checksum.h"
#include "pipeline/crypto/sodium_crypter.h"
#include "pipeline/crypto/sodium_key.h"
#include "postgres/wal_file_name.h"
#include "storage/memory/memory_storage.h"
#include "support/faulty_storage.h"
#include "support/test_util.h"
#include "support/wal_segments.h"
#include "wal/archive_identity.h"
#include "wal/archive_status.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::FaultyStorage;
using testing::StorageOp;

// Small segments keep the tests fast; the code treats every power-of-two size alike.
constexpr uint64_t kSegmentSize = 1 << 20;
constexpr uint64_t kSystemId = 7'300'000'000'000'000'001ull;
constexpr uint64_t kOtherSystemId = 7'300'000'000'000'000'999ull;

std::string SegmentName(uint64_t segno, pg::TimelineId timeline = 1) {
  return pg::WalFileName({timeline, segno}, kSegmentSize);
}

class WalPushTest : public ::testing::Test {
 protected:
  WalPushTest() : faulty_(memory_), root_(faulty_, "") {
    options_.file.pipeline.compression = CompressionMethod::kLz4;
    options_.file.segment_size = kSegmentSize;
    options_.parallel_uploads = 4;
  }

  fs::path pg_wal() const { return dir_.path() / "pg_wal"; }

  // Writes segment `segno` of timeline 1 into pg_wal, with its .ready file.
  fs::path Segment(uint64_t segno, uint64_t system_id = kSystemId, bool ready = true) {
    return testing::WriteFakeWalSegment(pg_wal(), {1, segno}, system_id, ready, kSegmentSize);
  }

  void Push(const fs::path& path) { WalPush(root_, path, options_); }

  // The decoded content of an archived object.
  std::string Archived(const std::string& object) {
    auto reader = MakeDownloadReader(root_.Sub("wal_005"), object, options_.file.pipeline);
    return testing::ReadAll(*reader);
  }

  // Stores `data` as wal_005/<object> the way WAL-G would: encoded, without checksum metadata.
  void StoreLikeWalG(const std::string& object, const std::string& data,
                     CompressionMethod method = CompressionMethod::kLz4) {
    PipelineOptions pipeline = options_.file.pipeline;
    pipeline.compression = method;
    auto writer = MakeUploadWriter(root_.Sub("wal_005"), object, pipeline);
    writer->Write(AsBytes(data));
    writer->Close();
    const std::string key = "wal_005/" + object;
    memory_.Commit(key, testing::ReadAll(*memory_.Get(key)));  // without Walnut's metadata
  }

  bool HasMarker(const std::string& name) {
    return fs::exists(pg_wal() / "walg_data" / "walg_archive_status" / name);
  }

  testing::TempDir dir_;
  MemoryStorage memory_;
  FaultyStorage faulty_;
  Folder root_;
  WalPushOptions options_{.fs = LocalFs::Default()};
};

TEST_F(WalPushTest, UploadsASegmentCompressedWithItsChecksum) {
  fs::path path = Segment(3);
  Push(path);
  std::string name = SegmentName(3);
  auto info = memory_.Stat("wal_005/" + name + ".lz4");
  ASSERT_TRUE(info.has_value());
  std::string content = testing::ReadFile(path);
  EXPECT_EQ(info->metadata.at(kContentSha256Metadata), Digest::Of(AsBytes(content)).Hex());
  EXPECT_LT(info->size, content.size());
  EXPECT_EQ(Archived(name + ".lz4"), content);
  EXPECT_FALSE(HasMarker(name));
}

TEST_F(WalPushTest, EncryptsWhenACrypterIsConfigured) {
  std::array<unsigned char, 32> key{};
  key.fill(9);
  options_.file.pipeline.crypter = std::make_shared<SodiumCrypter>(SodiumKey(key));
  fs::path path = Segment(3);
  Push(path);
  EXPECT_EQ(Archived(SegmentName(3) + ".lz4"), testing::ReadFile(path));
}

TEST_F(WalPushTest, RecordsTheArchiveIdentityOnTheFirstPush) {
  Push(Segment(1));
  auto reader = memory_.Get(std::string(kArchiveIdentityObject));
  ArchiveIdentity identity = ArchiveIdentityFromJson(testing::ReadAll(*reader), "x");
  EXPECT_EQ(identity.system_identifier, kSystemId);
  EXPECT_EQ(identity.pg_version, 15);
  EXPECT_EQ(identity.segment_size, kSegmentSize);
}

TEST_F(WalPushTest, AnIdenticalRePushSucceedsWithoutUploading) {
  fs::path path = Segment(3);
  Push(path);
  uint64_t puts = faulty_.calls(StorageOp::kPut);
  Push(path);
  EXPECT_EQ(faulty_.calls(StorageOp::kPut), puts);
  EXPECT_EQ(faulty_.calls(StorageOp::kGet), 0u) << "the checksum metadata should decide";
}

TEST_F(WalPushTest, DifferentContentIsNeverOverwritten) {
  fs::path path = Segment(3);
  Push(path);
  std::string before = Archived(SegmentName(3) + ".lz4");
  // Same name and header, different bytes further on.
  std::string changed = testing::ReadFile(path);
  changed[5000] = static_cast<char>(changed[5000] ^ 1);
  testing::WriteFile(path, changed);
  Error e = ExpectError([&] { Push(path); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(std::string(e.what()).find("WAL file '" + SegmentName(3) +
                                       "' already archived in memory://memory"),
            std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("contents differ, unable to overwrite"), std::string::npos);
  EXPECT_EQ(Archived(SegmentName(3) + ".lz4"), before);
}

TEST_F(WalPushTest, ComparesContentWhenTheArchivedObjectHasNoChecksum) {
  fs::path path = Segment(3);
  std::string content = testing::ReadFile(path);
  StoreLikeWalG(SegmentName(3) + ".lz4", content);
  Push(path);  // equal: accepted after downloading and decoding
  EXPECT_GE(faulty_.calls(StorageOp::kGet), 1u);

  std::string other = content;
  other[100000] = static_cast<char>(other[100000] ^ 1);
  StoreLikeWalG(SegmentName(3) + ".lz4", other);
  Error e = ExpectError([&] { Push(path); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(std::string(e.what()).find("contents differ"), std::string::npos) << e.what();
  EXPECT_EQ(Archived(SegmentName(3) + ".lz4"), other);
}

TEST_F(WalPushTest, FindsTheArchivedFileUnderAnotherCompression) {
  fs::path path = Segment(3);
  std::string content = testing::ReadFile(path);
  StoreLikeWalG(SegmentName(3) + ".zst", content, CompressionMethod::kZstd);
  Push(path);
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(3) + ".lz4")) << "equal: nothing uploaded";

  content[200000] = static_cast<char>(content[200000] ^ 1);
  StoreLikeWalG(SegmentName(3) + ".zst", content, CompressionMethod::kZstd);
  EXPECT_EQ(ExpectError([&] { Push(path); }).code(), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(3) + ".lz4"));
}

TEST_F(WalPushTest, AnUndecodableArchivedObjectIsNotOverwritten) {
  fs::path path = Segment(3);
  memory_.Commit("wal_005/" + SegmentName(3) + ".lz4", "not lz4 at all");
  Error e = ExpectError([&] { Push(path); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(std::string(e.what()).find("cannot be read back to compare"), std::string::npos)
      << e.what();
}

TEST_F(WalPushTest, OverwriteProtectionCanBeTurnedOffForSegmentsOnly) {
  options_.file.prevent_overwrite = false;
  fs::path path = Segment(3);
  StoreLikeWalG(SegmentName(3) + ".lz4", "old content");
  Push(path);
  EXPECT_EQ(Archived(SegmentName(3) + ".lz4"), testing::ReadFile(path));

  fs::path history = pg_wal() / "00000002.history";
  testing::WriteFile(history, "1\t0/3000000\tno recovery target specified\n");
  StoreLikeWalG("00000002.history.lz4", "1\t0/2000000\tother history\n");
  EXPECT_EQ(ExpectError([&] { Push(history); }).code(), ErrorCode::kAlreadyExists);
}

TEST_F(WalPushTest, ArchivesHistoryBackupAndPartialFiles) {
  fs::create_directories(pg_wal());
  fs::path history = pg_wal() / "00000002.history";
  testing::WriteFile(history, "1\t0/3000000\tno recovery target specified\n");
  Push(history);
  EXPECT_EQ(Archived("00000002.history.lz4"), testing::ReadFile(history));
  Push(history);  // identical again: fine

  fs::path backup = pg_wal() / (SegmentName(2) + ".00000028.backup");
  testing::WriteFile(backup, "START WAL LOCATION: 0/2000028\n");
  Push(backup);
  EXPECT_EQ(Archived(backup.filename().string() + ".lz4"), testing::ReadFile(backup));

  fs::path segment = Segment(5, kSystemId, false);
  fs::path partial = pg_wal() / (SegmentName(5) + ".partial");
  fs::rename(segment, partial);
  Push(partial);
  EXPECT_EQ(Archived(SegmentName(5) + ".partial.lz4"), testing::ReadFile(partial));
}

TEST_F(WalPushTest, RefusesWalOfAnotherDatabaseSystem) {
  Push(Segment(1));
  fs::path other = Segment(2, kOtherSystemId);
  Error e = ExpectError([&] { Push(other); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  std::string message = e.what();
  EXPECT_NE(message.find(std::to_string(kSystemId)), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(kOtherSystemId)), std::string::npos) << message;
  EXPECT_NE(message.find("memory://memory"), std::string::npos) << message;
  EXPECT_NE(message.find("WALG_STORAGE_PREFIX"), std::string::npos) << message;
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(2) + ".lz4"));
}

TEST_F(WalPushTest, ASecondClusterIsRefusedEvenWithItsOwnCache) {
  Push(Segment(1));
  // Another cluster's pg_wal, pointed at the same storage.
  testing::TempDir other_dir;
  fs::path other = testing::WriteFakeWalSegment(other_dir.path() / "pg_wal", {1, 1}, kOtherSystemId,
                                                true, kSegmentSize);
  EXPECT_EQ(ExpectError([&] { WalPush(root_, other, options_); }).code(),
            ErrorCode::kAlreadyExists);
}

TEST_F(WalPushTest, TheVerifiedIdentityIsCachedLocally) {
  Push(Segment(1));
  EXPECT_TRUE(fs::exists(pg_wal() / "walg_data" / "walnut_archive_identity.json"));
  // With the cache, a later call (a new process) does not read the record: removing it from the
  // storage goes unnoticed, and it is not written again.
  std::vector<std::string> keys{std::string(kArchiveIdentityObject)};
  memory_.Delete(keys);
  Push(Segment(2));
  EXPECT_FALSE(memory_.Stat(std::string(kArchiveIdentityObject)));
  EXPECT_EQ(faulty_.calls(StorageOp::kGet), 0u);
}

TEST_F(WalPushTest, RefusesASegmentWhoseHeaderDoesNotMatchItsName) {
  fs::path path = Segment(3);
  fs::path renamed = pg_wal() / SegmentName(4);
  fs::rename(path, renamed);
  Error e = ExpectError([&] { Push(renamed); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find(renamed.string()), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("does not match its name"), std::string::npos);
  EXPECT_EQ(memory_.ObjectCount(), 0u);
}

TEST_F(WalPushTest, RefusesASegmentOfTheWrongSize) {
  fs::path path = Segment(3);
  std::string content = testing::ReadFile(path);
  testing::WriteFile(path, content.substr(0, content.size() - 1));
  Error e = ExpectError([&] { Push(path); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("WALG_PG_WAL_SIZE"), std::string::npos) << e.what();
}

TEST_F(WalPushTest, RefusesGarbageNamedLikeASegment) {
  // As pgBackRest: a file named like WAL must be WAL (other names: wal_push_other_file_test.cc).
  fs::create_directories(pg_wal());
  for (const std::string& name : {SegmentName(3), SegmentName(4) + ".partial"}) {
    fs::path garbage = pg_wal() / name;
    testing::WriteFile(garbage, testing::RandomBytes(kSegmentSize, 5));
    Error e = ExpectError([&] { Push(garbage); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << name;
    EXPECT_NE(std::string(e.what()).find("refusing to archive"), std::string::npos) << e.what();
  }
  EXPECT_EQ(memory_.ObjectCount(), 0u);
}

TEST_F(WalPushTest, AStorageFailureMidUploadLeavesNothing) {
  fs::path path = Segment(3, kSystemId, /*ready=*/false);  // not uploaded ahead
  Push(Segment(1));  // the identity record exists; only the segment's upload remains
  faulty_.FailCall(StorageOp::kWrite, 1, Error(ErrorCode::kNetwork, "connection reset", true));
  EXPECT_EQ(ExpectError([&] { Push(path); }).code(), ErrorCode::kNetwork);
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(3) + ".lz4"));
  EXPECT_FALSE(HasMarker(SegmentName(3)));
  Push(path);  // PostgreSQL's retry
  EXPECT_EQ(Archived(SegmentName(3) + ".lz4"), testing::ReadFile(path));
}

TEST_F(WalPushTest, AFailedCloseLeavesNothing) {
  fs::path path = Segment(3, kSystemId, /*ready=*/false);  // not uploaded ahead
  Push(Segment(1));
  faulty_.FailCall(StorageOp::kClose, 1, Error(ErrorCode::kIo, "disk full"));
  EXPECT_EQ(ExpectError([&] { Push(path); }).code(), ErrorCode::kIo);
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(3) + ".lz4"));
}

TEST_F(WalPushTest, UploadsReadyFilesAheadAndTheNextCallReturnsAtOnce) {
  for (uint64_t segno = 1; segno <= 6; ++segno) Segment(segno);
  Segment(7, kSystemId, /*ready=*/false);  // not ready yet: left alone
  Push(pg_wal() / SegmentName(1));
  for (uint64_t segno = 1; segno <= 6; ++segno) {
    EXPECT_EQ(Archived(SegmentName(segno) + ".lz4"),
              testing::ReadFile(pg_wal() / SegmentName(segno)))
        << segno;
  }
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(7) + ".lz4"));
  EXPECT_FALSE(HasMarker(SegmentName(1)));
  for (uint64_t segno = 2; segno <= 6; ++segno) EXPECT_TRUE(HasMarker(SegmentName(segno)));

  FaultyStorage untouched(memory_);
  for (StorageOp op : {StorageOp::kPut, StorageOp::kGet, StorageOp::kStat, StorageOp::kList}) {
    untouched.FailCall(op, 1, Error(ErrorCode::kInternal, "storage touched"), 1000);
  }
  Folder untouched_root(untouched, "");
  WalPush(untouched_root, pg_wal() / SegmentName(2), options_);
  EXPECT_FALSE(HasMarker(SegmentName(2))) << "the marker is consumed";
  EXPECT_EQ(untouched.calls(StorageOp::kStat), 0u);
}

TEST_F(WalPushTest, UploadAheadRespectsTheLimit) {
  for (uint64_t segno = 1; segno <= 6; ++segno) Segment(segno);
  options_.upload_ahead_limit = 2;
  Push(pg_wal() / SegmentName(1));
  EXPECT_TRUE(HasMarker(SegmentName(2)));
  EXPECT_TRUE(HasMarker(SegmentName(3)));
  EXPECT_FALSE(HasMarker(SegmentName(4)));
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(4) + ".lz4"));
}

TEST_F(WalPushTest, NoUploadAheadWithOneUpload) {
  for (uint64_t segno = 1; segno <= 3; ++segno) Segment(segno);
  options_.parallel_uploads = 1;
  Push(pg_wal() / SegmentName(1));
  EXPECT_FALSE(HasMarker(SegmentName(2)));
  EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(2) + ".lz4"));
}

TEST_F(WalPushTest, NoUploadAheadStartsAfterTheWindow) {
  for (uint64_t segno = 1; segno <= 3; ++segno) Segment(segno);
  options_.ahead_window = std::chrono::milliseconds(0);
  Push(pg_wal() / SegmentName(1));
  EXPECT_TRUE(memory_.Stat("wal_005/" + SegmentName(1) + ".lz4"));
  for (uint64_t segno = 2; segno <= 3; ++segno) {
    EXPECT_FALSE(HasMarker(SegmentName(segno))) << segno;
    EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(segno) + ".lz4")) << segno;
  }
}

TEST_F(WalPushTest, EveryReadyFileIsUploadedAheadWithTwoWorkers) {
  // Two workers: one uploads ahead while the requested file uploads, then both do.
  for (uint64_t segno = 1; segno <= 12; ++segno) Segment(segno);
  options_.parallel_uploads = 2;
  Push(pg_wal() / SegmentName(1));
  for (uint64_t segno = 2; segno <= 12; ++segno) {
    EXPECT_TRUE(HasMarker(SegmentName(segno))) << segno;
    EXPECT_EQ(Archived(SegmentName(segno) + ".lz4"),
              testing::ReadFile(pg_wal() / SegmentName(segno)))
        << segno;
  }
}

TEST_F(WalPushTest, AFailedRequestedFileStopsTheWorkAhead) {
  fs::path broken = Segment(1);
  testing::WriteFile(broken, "short");
  for (uint64_t segno = 2; segno <= 12; ++segno) Segment(segno);
  options_.parallel_uploads = 2;
  EXPECT_EQ(ExpectError([&] { Push(broken); }).code(), ErrorCode::kCorruption);
  // The one worker may have started one file before the requested one failed; no more.
  int uploaded = 0;
  for (uint64_t segno = 2; segno <= 12; ++segno) {
    uploaded += memory_.Stat("wal_005/" + SegmentName(segno) + ".lz4") ? 1 : 0;
  }
  EXPECT_LE(uploaded, 1);
}

TEST_F(WalPushTest, AFailedUploadAheadLeavesNoMarker) {
  for (uint64_t segno = 1; segno <= 4; ++segno) Segment(segno);
  Push(pg_wal() / SegmentName(1));  // archives 1..4, marks 2..4
  for (uint64_t segno = 2; segno <= 4; ++segno) {
    ArchiveStatus(LocalFs::Default(), pg_wal()).ConsumeUploadedMarker(SegmentName(segno));
    std::vector<std::string> keys{"wal_005/" + SegmentName(segno) + ".lz4"};
    memory_.Delete(keys);
  }
  // Segment 1 is archived (no upload); every upload ahead fails.
  faulty_.FailCall(StorageOp::kPut, 1, Error(ErrorCode::kNetwork, "unreachable", true), 1000);
  Push(pg_wal() / SegmentName(1));
  for (uint64_t segno = 2; segno <= 4; ++segno) {
    EXPECT_FALSE(HasMarker(SegmentName(segno))) << segno;
    EXPECT_FALSE(memory_.Stat("wal_005/" + SegmentName(segno) + ".lz4")) << segno;
  }
}

TEST_F(WalPushTest, ABrokenReadyFileDoesNotFailTheRequestedOne) {
  Segment(1);
  fs::path broken = Segment(2);
  testing::WriteFile(broken, "short");
  Push(pg_wal() / SegmentName(1));
  EXPECT_TRUE(memory_.Stat("wal_005/" + SegmentName(1) + ".lz4"));
  EXPECT_FALSE(HasMarker(SegmentName(2)));
}

TEST_F(WalPushTest, ReadyRenameMarksFilesDoneInsteadOfLeavingMarkers) {
  for (uint64_t segno = 1; segno <= 3; ++segno) Segment(segno);
  options_.ready_rename = true;
  Push(pg_wal() / SegmentName(1));
  for (uint64_t segno = 2; segno <= 3; ++segno) {
    std::string name = SegmentName(segno);
    EXPECT_TRUE(memory_.Stat("wal_005/" + name + ".lz4"));
    EXPECT_FALSE(fs::exists(pg_wal() / "archive_status" / (name + ".ready")));
    EXPECT_TRUE(fs::exists(pg_wal() / "archive_status" / (name + ".done")));
    EXPECT_FALSE(HasMarker(name));
  }
  // PostgreSQL renames the requested file's .ready itself.
  EXPECT_TRUE(fs::exists(pg_wal() / "archive_status" / (SegmentName(1) + ".ready")));
}

TEST_F(WalPushTest, AMissingFileFails) {
  fs::create_directories(pg_wal());
  EXPECT_EQ(ExpectError([&] { Push(pg_wal() / SegmentName(9)); }).code(), ErrorCode::kNotFound);
}

TEST(ArchiveIdentityTest, RoundTripsThroughJson) {
  ArchiveIdentity identity{kSystemId, 15, 0xD110, 16u << 20};
  ArchiveIdentity back = ArchiveIdentityFromJson(ArchiveIdentityToJson(identity), "x");
  EXPECT_EQ(back.system_identifier, kSystemId);
  EXPECT_EQ(back.pg_version, 15);
  EXPECT_EQ(back.wal_magic, 0xD110);
  EXPECT_EQ(back.segment_size, 16u << 20);
  EXPECT_NE(ArchiveIdentityToJson(identity).find("\"system_identifier\":7300000000000000001"),
            std::string::npos);
}

TEST(ArchiveIdentityTest, ACorruptRecordIsAnError) {
  Error e = ExpectError([] { ArchiveIdentityFromJson("{\"pg_version\": 15}", "s/rec.json"); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("s/rec.json"), std::string::npos);
  EXPECT_EQ(ExpectError([] { ArchiveIdentityFromJson("nonsense", "x"); }).code(),
            ErrorCode::kCorruption);
}

}  // namespace
}  // namespace walnut
