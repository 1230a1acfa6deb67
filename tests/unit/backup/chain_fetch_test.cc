// Whole-chain restores through FetchBackup, from synthetic backups (tars, files metadata and
// sentinels written here) into a local directory, in both orders.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "backup/backup_fetch.h"
#include "backup/backup_name.h"
#include "backup/tar_writer.h"
#include "io/digest.h"
#include "io/memory_stream.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "storage/fs/fs_storage.h"
#include "storage/memory/memory_storage.h"
#include "support/chain_store.h"
#include "support/faulty_storage.h"
#include "support/increment_test_util.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::ReadFile;
using testing::TempDir;
using testing::TestIncrement;

std::string Page(char fill) { return testing::TestPage(fill); }

using testing::ChainStore;
using testing::Dir;
using testing::Entry;
using testing::Inc;
using testing::Skip;
using testing::Whole;

constexpr std::string_view kFull = "base_000000010000000000000002";
constexpr std::string_view kDelta1 = "base_000000010000000000000003_D_000000010000000000000002";
constexpr std::string_view kDelta2 = "base_000000010000000000000004_D_000000010000000000000003";

class ChainFetchTest : public ::testing::TestWithParam<ChainOrder> {
 protected:
  // A chain with every kind of piece. What each file must be after the restore is in Expected.
  void StoreChain(std::vector<Entry> extra_delta1 = {}) {
    std::string four = Page('a') + Page('b') + Page('c') + Page('d');
    store_.Add(
        std::string(kFull), "",
        {Dir("/base"), Dir("/base/5"), Whole("/PG_VERSION", "15\n"), Whole("/base/5/1", four),
         Whole("/base/5/2", four), Whole("/base/5/3", four, 2), Whole("/base/5/4", "old"),
         Whole("/base/5/zero", Page('q')), Whole("/base/5/ghost", "dropped later", 3)});
    std::vector<Entry> delta1 = {Dir("/base"),
                                 Dir("/base/5"),
                                 Skip("/PG_VERSION"),
                                 Inc("/base/5/1", TestIncrement(5, {1, 4}, "XY")),
                                 Skip("/base/5/2"),
                                 Inc("/base/5/3", TestIncrement(1, {0}, "T")),
                                 Whole("/base/5/4", "newer", 2),
                                 Inc("/base/5/zero", TestIncrement(1, {0}, std::string(1, '\0'))),
                                 Whole("/base/5/ghost", "dropped later", 3)};
    for (Entry& entry : extra_delta1) {
      std::erase_if(delta1, [&](const Entry& e) { return e.path == entry.path; });
      delta1.push_back(std::move(entry));
    }
    store_.Add(std::string(kDelta1), std::string(kFull), delta1);
    store_.Add(
        std::string(kDelta2), std::string(kDelta1),
        {Dir("/base"), Dir("/base/5"), Skip("/PG_VERSION"),
         Inc("/base/5/1", TestIncrement(5, {0}, "N")), Inc("/base/5/2", TestIncrement(1, {0}, "M")),
         Inc("/base/5/3", TestIncrement(3, {2}, "Z"), 2), Skip("/base/5/4"),
         Whole("/base/5/5", "new"), Skip("/base/5/zero")});
    // The full's tar holding only a file delta1 has whole is never needed: make it unreadable.
    Garble(kFull, "part_003.tar");
  }

  void Garble(std::string_view backup, const std::string& tar) {
    store_.Put(BackupTarPartitionsKey(backup) + tar, "not a tar");
  }

  std::map<std::string, std::string> Expected() const {
    return {{"PG_VERSION", "15\n"},
            {"base/5/1", Page('N') + Page('X') + Page('c') + Page('d') + Page('Y')},
            {"base/5/2", Page('M')},
            {"base/5/3", Page('T') + Page('\0') + Page('Z')},
            {"base/5/4", "newer"},
            {"base/5/5", "new"},
            {"base/5/zero", Page('\0')},
            {"global/pg_control", "control of " + std::string(kDelta2)},
            {"backup_label", "label of " + std::string(kDelta2)}};
  }

  BackupFetchResult Fetch(const fs::path& dir, const std::string& name = "LATEST",
                          const std::string& mask = "", const BackupCatalog* catalog = nullptr,
                          int retries = 0, int concurrency = 2) {
    BackupFetchOptions options{.fs = LocalFs::Default()};
    options.target_dir = dir.string();
    options.backup_name = name;
    options.mask = mask;
    options.fsync = false;
    options.download_concurrency = concurrency;
    options.download_file_retries = retries;
    options.chain_order = GetParam();
    options.stop_requested = stop_requested_;
    return FetchBackup(catalog != nullptr ? *catalog : store_.catalog(), store_.pipeline(),
                       options);
  }

  // Every regular file under `dir`, by relative path.
  static std::map<std::string, std::string> Files(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& item : fs::recursive_directory_iterator(dir)) {
      if (item.is_regular_file())
        files[fs::relative(item.path(), dir).string()] = ReadFile(item.path());
    }
    return files;
  }

  MemoryStorage storage_{"chain"};
  ChainStore store_{storage_};
  TempDir dir_;
  std::function<bool()> stop_requested_;
};

TEST_P(ChainFetchTest, RestoresTheTargetFromEveryLevel) {
  StoreChain();
  Garble(kDelta1, "part_003.tar");  // holds only a file dropped since
  BackupFetchResult result = Fetch(dir_.path() / "pgdata");
  EXPECT_EQ(result.backup_name, kDelta2);
  EXPECT_EQ(Files(dir_.path() / "pgdata"), Expected());
  EXPECT_FALSE(fs::exists(dir_.path() / "pgdata/base/5/ghost"));
  EXPECT_EQ(fs::status(dir_.path() / "pgdata/base/5/1").permissions(), fs::perms(0600));
}

TEST_P(ChainFetchTest, RestoresADeltaInTheMiddleOfAChain) {
  StoreChain();
  Fetch(dir_.path() / "pgdata", std::string(kDelta1));
  std::map<std::string, std::string> files = Files(dir_.path() / "pgdata");
  EXPECT_EQ(files["base/5/1"], Page('a') + Page('X') + Page('c') + Page('d') + Page('Y'));
  EXPECT_EQ(files["base/5/3"], Page('T'));
  EXPECT_EQ(files["base/5/ghost"], "dropped later");
  EXPECT_EQ(files["global/pg_control"], "control of " + std::string(kDelta1));
}

TEST_P(ChainFetchTest, MaskRestoresOnlyMatchingFiles) {
  StoreChain();
  Fetch(dir_.path() / "pgdata", "LATEST", "base/5/[13]");
  std::map<std::string, std::string> expected = Expected();
  EXPECT_EQ(Files(dir_.path() / "pgdata"),
            (std::map<std::string, std::string>{{"base/5/1", expected["base/5/1"]},
                                                {"base/5/3", expected["base/5/3"]}}));
}

TEST_P(ChainFetchTest, ADamagedIncrementStopsTheRestoreNamingFileAndBackup) {
  std::string damaged = TestIncrement(5, {1, 4}, "XY");
  damaged[1] = 'x';
  Entry entry = Inc("/base/5/1", damaged);
  entry.record_sha = false;  // as WAL-G's deltas: only the header can tell
  StoreChain({entry});
  Error e = ExpectError([&] { Fetch(dir_.path() / "pgdata"); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  std::string message = e.what();
  EXPECT_NE(message.find("backup " + std::string(kDelta1) + ": file base/5/1 from tar"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("bad signature"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir_.path() / "pgdata/global/pg_control"));
}

// A signal or a deadline of the caller (the drill's) ends the download at the next read.
TEST_P(ChainFetchTest, AStopRequestEndsTheRestoreNamingTheTar) {
  StoreChain();
  std::atomic<int> reads{0};
  stop_requested_ = [&] { return ++reads > 3; };
  Error e = ExpectError([&] { Fetch(dir_.path() / "pgdata"); });
  EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  std::string message = e.what();
  EXPECT_NE(message.find("restore stopped during basebackups_005/"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir_.path() / "pgdata/global/pg_control"));

  stop_requested_ = [] { return false; };
  Fetch(dir_.path() / "again");
  EXPECT_EQ(Files(dir_.path() / "again"), Expected());
}

TEST_P(ChainFetchTest, APieceThatDoesNotMatchItsChecksumStopsTheRestore) {
  // A valid increment, but not the bytes files_metadata.json recorded.
  Entry entry = Inc("/base/5/1", TestIncrement(5, {1, 4}, "XY"));
  entry.stored = TestIncrement(5, {1, 4}, "XZ");
  StoreChain({entry});
  Error e = ExpectError([&] { Fetch(dir_.path() / "pgdata"); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  std::string message = e.what();
  EXPECT_NE(message.find("backup " + std::string(kDelta1) + ": file base/5/1 from tar"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("SHA-256"), std::string::npos) << message;
}

TEST_P(ChainFetchTest, AMissingPieceIsReported) {
  // delta1 lists an increment for base/5/1 in a tar that lacks it.
  Entry entry = Inc("/base/5/1", TestIncrement(5, {1}, "X"));
  entry.omit = true;
  StoreChain({entry});
  Error e = ExpectError([&] { Fetch(dir_.path() / "pgdata"); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("file base/5/1 got 2 of its 3 pieces"), std::string::npos)
      << e.what();
  EXPECT_FALSE(fs::exists(dir_.path() / "pgdata/global/pg_control"));
}

TEST_P(ChainFetchTest, AMissingTarOfABaseIsReported) {
  StoreChain({Inc("/base/5/1", TestIncrement(5, {1}, "X"), 4)});
  storage_.Delete(std::vector<std::string>{BackupTarPartitionsKey(kDelta1) + "part_004.tar"});
  Error e = ExpectError([&] { Fetch(dir_.path() / "pgdata"); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("backup " + std::string(kDelta1) +
                                       ": its files metadata lists tar part_004.tar"),
            std::string::npos)
      << e.what();
}

TEST_P(ChainFetchTest, ADownloadRetriedMidTarRestoresTheSameBytes) {
  StoreChain();
  testing::FaultyStorage faulty(storage_);
  BackupCatalog catalog{Folder(faulty, "")};
  // One download at a time, so that the nth read is the same object in every run.
  Fetch(dir_.path() / "dry", "LATEST", "", &catalog, 0, 1);
  uint64_t gets = faulty.calls(testing::StorageOp::kGet);
  // Cut each object of the restore in turn after 20000 bytes (inside a file or an increment of
  // every tar larger than that; the JSON documents are smaller): the retry starts the tar over.
  int retried = 0;
  for (uint64_t nth = 1; nth <= gets; ++nth) {
    faulty.ClearFaults();
    faulty.TruncateGet(nth, 20000, Error(ErrorCode::kNetwork, "connection reset", true));
    uint64_t before = faulty.calls(testing::StorageOp::kGet);
    fs::path dir = dir_.path() / fmt::format("retry{}", nth);
    Fetch(dir, "LATEST", "", &catalog, 2, 1);
    EXPECT_EQ(Files(dir), Expected()) << "object " << nth;
    if (faulty.calls(testing::StorageOp::kGet) - before > gets) ++retried;
  }
  EXPECT_GE(retried, 3);  // the full's and delta1's tars at least were cut and retried
}

INSTANTIATE_TEST_SUITE_P(Orders, ChainFetchTest,
                         ::testing::Values(ChainOrder::kForward, ChainOrder::kReverse),
                         [](const auto& param_info) {
                           return param_info.param == ChainOrder::kForward ? "Forward" : "Reverse";
                         });

// The measurement in docs/delta-restore.md: a 1 GiB full backup (16 files of 64 MiB, half of
// each page random, lz4) and 6 deltas each changing ~5 % of the pages, restored oldest first and
// newest first (fsync on) into a local directory, three times each, alternating. Run:
//   WALNUT_CHAIN_BENCH_DIR=/var/tmp/chain-bench build-x/tests/test_unit_backup
//     --gtest_also_run_disabled_tests --gtest_filter='ChainFetchBenchmark.*'
constexpr int kBenchFiles = 16;
constexpr uint64_t kBenchPages = 8192;  // 64 MiB per file
constexpr int kBenchDeltas = 6;
constexpr int kBenchTars = 4;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t PageSeed(int level, int file, uint64_t block) {
  return (uint64_t(level) << 48) ^ (uint64_t(file) << 32) ^ block;
}

// Half random (incompressible), half zeros, as a filled heap page compresses.
void FillPage(std::string& page, uint64_t seed) {
  page.assign(pg::kBlockSize, '\0');
  for (size_t i = 0; i < pg::kBlockSize / 2; i += 8) {
    uint64_t word = Mix(Mix(seed) + i);
    std::memcpy(&page[i], &word, 8);
  }
}

// WALNUT_CHAIN_BENCH_CHANGED: the percentage of pages each delta changes (default 5).
uint64_t ChangedPercent() {
  const char* env = std::getenv("WALNUT_CHAIN_BENCH_CHANGED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 5;
}

bool ChangedAt(int level, int file, uint64_t block) {
  static const uint64_t percent = ChangedPercent();
  return Mix(PageSeed(level, file, block) ^ 0x5555) % 100 < percent;
}

std::string BenchName(int level) {
  std::string name = fmt::format("base_00000001{:016X}", level + 2);
  return level == 0 ? name : name + fmt::format("_D_00000001{:016X}", level + 1);
}

void StoreBenchLevel(ChainStore& store, int level) {
  FilesMetadata metadata;
  metadata.files["/base"] = {};
  metadata.files["/base/5"] = {};
  std::string page;
  for (int t = 0; t < kBenchTars; ++t) {
    auto [tar_name, out] = store.OpenTar(BenchName(level), t + 1);
    TarWriter tar(*out);
    if (t == 0) {
      for (const char* dir : {"/base", "/base/5"}) {
        TarEntry entry;
        entry.name = dir;
        entry.type = TarEntry::Type::kDirectory;
        entry.mode = 0700;
        tar.AddEntry(entry);
        metadata.tar_file_sets[tar_name].push_back(dir);
      }
    }
    for (int file = t; file < kBenchFiles; file += kBenchTars) {
      std::vector<uint32_t> blocks;
      for (uint64_t b = 0; b < kBenchPages; ++b) {
        if (level == 0 || ChangedAt(level, file, b)) blocks.push_back(static_cast<uint32_t>(b));
      }
      TarEntry entry;
      entry.name = fmt::format("/base/5/{}", 16384 + file);
      entry.mtime = 1700000000 + level;
      Sha256Hasher hasher;
      auto emit = [&](ConstByteSpan bytes) {
        hasher.Update(bytes);
        tar.Write(bytes);
      };
      BackupFileDescription description;
      if (level == 0) {
        entry.size = kBenchPages * pg::kBlockSize;
        tar.AddEntry(entry);
      } else {
        IncrementHeader header{kBenchPages * pg::kBlockSize, blocks};
        entry.size = header.total_size();
        tar.AddEntry(entry);
        emit(EncodeIncrementHeader(header));
        description.is_incremented = true;
      }
      for (uint32_t b : blocks) {
        FillPage(page, PageSeed(level, file, b));
        emit(AsBytes(page));
      }
      description.sha256 = hasher.Finish().Hex();
      metadata.files[entry.name] = description;
      metadata.tar_file_sets[tar_name].push_back(entry.name);
    }
    tar.Close();
  }
  store.Commit(BenchName(level), level == 0 ? "" : BenchName(level - 1), std::move(metadata));
}

// This process's CPU seconds (all threads) and bytes handed to write()/pwrite() so far.
struct ProcessCounters {
  double cpu_seconds = 0;
  uint64_t written = 0;
};

ProcessCounters ReadCounters() {
  ProcessCounters counters;
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  counters.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::string io = ReadFile("/proc/self/io");
  size_t at = io.find("wchar: ");
  if (at != std::string::npos) counters.written = std::stoull(io.substr(at + 7));
  return counters;
}

bool SameFile(const fs::path& a, const fs::path& b) {
  return testing::RunCommand("cmp -s " + testing::ShellQuote(a.string()) + " " +
                             testing::ShellQuote(b.string()))
             .exit_code == 0;
}

TEST(ChainFetchBenchmark, DISABLED_ForwardAgainstReverse) {
  const char* env = std::getenv("WALNUT_CHAIN_BENCH_DIR");
  TempDir temp;
  fs::path root = env != nullptr ? fs::path(env) : temp.path();
  fs::remove_all(root / "storage");
  fs::create_directories(root / "storage");
  FsStorage storage(root / "storage");
  PipelineOptions pipeline;
  pipeline.compression = CompressionMethod::kLz4;
  ChainStore store(storage, pipeline);
  auto started = std::chrono::steady_clock::now();
  for (int level = 0; level <= kBenchDeltas; ++level) StoreBenchLevel(store, level);
  std::chrono::duration<double> built = std::chrono::steady_clock::now() - started;
  std::cout << fmt::format("chain stored in {:.1f} s\n", built.count());

  std::map<ChainOrder, std::vector<double>> seconds;
  for (int round = 0; round < 3; ++round) {
    for (ChainOrder order : {ChainOrder::kForward, ChainOrder::kReverse}) {
      fs::path dir = root / (order == ChainOrder::kForward ? "forward" : "reverse");
      fs::remove_all(dir);
      BackupFetchOptions options{.fs = LocalFs::Default()};
      options.target_dir = dir.string();
      options.backup_name = "LATEST";
      options.chain_order = order;
      ProcessCounters before = ReadCounters();
      BackupFetchResult result = FetchBackup(store.catalog(), pipeline, options);
      ProcessCounters after = ReadCounters();
      seconds[order].push_back(result.elapsed.count());
      std::cout << fmt::format(
          "{}: {:.2f} s, {:.2f} s of CPU, {} MiB written, {} files, {} bytes of pieces\n",
          order == ChainOrder::kForward ? "forward" : "reverse", result.elapsed.count(),
          after.cpu_seconds - before.cpu_seconds, (after.written - before.written) >> 20,
          result.files, result.bytes);
    }
  }
  std::cout << fmt::format(
      "best of 3: forward {:.2f} s, reverse {:.2f} s\n",
      *std::min_element(seconds[ChainOrder::kForward].begin(), seconds[ChainOrder::kForward].end()),
      *std::min_element(seconds[ChainOrder::kReverse].begin(),
                        seconds[ChainOrder::kReverse].end()));
  for (int file = 0; file < kBenchFiles; ++file) {
    std::string relative = fmt::format("base/5/{}", 16384 + file);
    EXPECT_TRUE(SameFile(root / "forward" / relative, root / "reverse" / relative)) << relative;
  }
  // Spot check: a page the last delta changed is that delta's.
  std::string page;
  for (uint64_t b = 0;; ++b) {
    if (!ChangedAt(kBenchDeltas, 3, b)) continue;
    FillPage(page, PageSeed(kBenchDeltas, 3, b));
    std::string content = ReadFile(root / "reverse/base/5/16387");
    EXPECT_EQ(content.substr(b * pg::kBlockSize, pg::kBlockSize), page);
    break;
  }
}

}  // namespace
}  // namespace walnut
