#include "wal/wal_fetch.h"

#include <array>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "io/copy.h"
#include "localfs/atomic_file_writer.h"
#include "pipeline/content_checksum.h"
#include "wal/free_space_guard.h"
#include "wal/wal_fetch_verify.h"

namespace walnut::wal {
namespace {

std::unique_ptr<Writer> CreateFile(const std::string& destination, const WalFetchOptions& options) {
  AtomicFileWriter::Options file;
  file.sync = options.durable;
  file.temporary_dir = options.temporary_dir;
  std::unique_ptr<Writer> writer = AtomicFileWriter::Create(options.fs, destination, file);
  if (options.free_space_reserve == 0) return writer;
  return std::make_unique<FreeSpaceGuard>(std::move(writer), options.fs, destination,
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
  if (auto it = found.info.metadata.find(kContentSha256Metadata); it != found.info.metadata.end()) {
    expect.sha256_hex = it->second;
  }
  return expect;
}

void Download(const Folder& wal_folder, const PipelineOptions& pipeline, const FoundObject& found,
              const WalFileExpectation& expect, const std::string& destination,
              const WalFetchOptions& options) {
  VerifyingWalWriter writer(CreateFile(destination, options), expect);
  auto reader = MakeDownloadReader(wal_folder, found.name, pipeline);
  Copy(*reader, writer, options.chunk_size);
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
