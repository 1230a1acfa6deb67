#include "wal/wal_fetch.h"

#include <array>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "io/copy.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/file_metadata.h"
#include "wal/free_space_guard.h"
#include "wal/wal_fetch_verify.h"

namespace walnut::wal {
namespace {

// The file being written to `destination` (`*file` is its AtomicFileWriter, for the prefetcher's
// mark), behind a FreeSpaceGuard when a reserve is set.
std::unique_ptr<Writer> CreateFile(const std::string& destination, const WalFetchOptions& options,
                                   AtomicFileWriter** file) {
  AtomicFileWriter::Options file_options;
  file_options.sync = options.durable;
  file_options.temporary_dir = options.temporary_dir;
  std::unique_ptr<AtomicFileWriter> atomic =
      AtomicFileWriter::Create(options.fs, destination, file_options);
  *file = atomic.get();
  if (options.free_space_reserve == 0) return atomic;
  return std::make_unique<FreeSpaceGuard>(std::move(atomic), options.fs, destination,
                                          options.free_space_reserve);
}

// WAL-G also reads these; Walnut cannot decode them, and must not report such a file as absent
// (PostgreSQL would end recovery early, short of the WAL it needs).
void ThrowIfStoredUndecodable(const Folder& wal_folder, std::string_view name) {
  static constexpr std::array<std::string_view, 2> kExtensions = {"lzo", "gz"};
  for (std::string_view ext : kExtensions) {
    std::string object = fmt::format("{}.{}", name, ext);
    if (wal_folder.Stat(object)) CompressionFromObjectName(object);  // throws kUnsupported
  }
}

WalFileExpectation ExpectationFor(const Folder& wal_folder, std::string_view name,
                                  const FoundObject& found, uint64_t segment_size) {
  WalFileExpectation expect;
  expect.source = fmt::format("{}/{}", wal_folder.storage().Describe(), wal_folder.Key(found.name));
  if (pg::ClassifyWalFileName(name) == pg::WalFileKind::kSegment) {
    expect.segment = pg::ParseWalFileName(name, segment_size);
    if (!expect.segment) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{} is not a WAL segment name for a segment size of {} bytes "
                              "(WALG_PG_WAL_SIZE)",
                              name, segment_size));
    }
  }
  expect.segment_size = segment_size;
  return expect;
}

void Download(const Folder& wal_folder, const PipelineOptions& pipeline, const FoundObject& found,
              const WalFileExpectation& expect, const std::string& destination,
              const WalFetchOptions& options) {
  AtomicFileWriter* file = nullptr;
  VerifyingWalWriter writer(CreateFile(destination, options, &file), expect);
  std::string unverified;
  DownloadOptions download;
  if (options.mark_unverified) {
    download.on_unverified = [&](const std::string& object, const std::string& why) {
      unverified = fmt::format("{}: {}", object, why);
    };
  }
  auto reader = MakeDownloadReader(wal_folder, found.name, pipeline, download);
  Copy(*reader, writer, options.chunk_size);
  if (!unverified.empty()) {
    WriteFileMetadata(file->file().fd(), destination, {{kUnverifiedMark, unverified}});
  }
  writer.Close();
}

}  // namespace

WalFetchResult FetchWalFile(const Folder& wal_folder, const PipelineOptions& pipeline,
                            std::string_view name, const std::string& destination,
                            const WalFetchOptions& options) {
  std::optional<FoundObject> found =
      FindCompressedObjectInfo(wal_folder, name, pipeline.compression);
  if (!found) {
    ThrowIfStoredUndecodable(wal_folder, name);
    return WalFetchResult::kNotFound;
  }
  WalFileExpectation expect = ExpectationFor(wal_folder, name, *found, options.segment_size);
  try {
    WithRetries(options.retry, expect.source,
                [&] { Download(wal_folder, pipeline, *found, expect, destination, options); });
  } catch (const Error& e) {
    // Deleted between the probe and the download (retention running meanwhile): absent. A
    // kNotFound from the local side (a missing directory) is an error and passes on.
    if (e.code() == ErrorCode::kNotFound && !wal_folder.Stat(found->name)) {
      return WalFetchResult::kNotFound;
    }
    throw;
  }
  return WalFetchResult::kFetched;
}

}  // namespace walnut::wal
