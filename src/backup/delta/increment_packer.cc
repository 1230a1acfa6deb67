#include "backup/delta/increment_packer.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>

#include "backup/delta/increment_reader.h"
#include "backup/delta/page_selection.h"
#include "backup/page_verifier.h"
#include "common/error.h"
#include "common/logging.h"

namespace walnut {
namespace {

constexpr size_t kScanReadSize = 256 * 1024;  // whole pages

// Reads the file once and lists the pages the increment needs. nullopt when a page is not a
// PostgreSQL page (the file is then stored whole).
std::optional<IncrementHeader> ScanPages(LocalFile& file, const WalkedEntry& entry,
                                         const FileReadOptions& options, pg::Lsn base_start_lsn,
                                         std::optional<PageVerifier>& verifier) {
  IncrementHeader header;
  header.file_size = entry.header.size;
  // Sized to the file: most relation files are far smaller than a read, and a 256 KiB vector
  // per file is an mmap and munmap each.
  std::vector<std::byte> buffer(std::min<uint64_t>(kScanReadSize, header.file_size));
  uint64_t offset = 0;
  while (offset < header.file_size) {
    if (options.stop && options.stop->load()) {
      throw Error(ErrorCode::kCancelled, "backup-push interrupted");
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(header.file_size - offset, buffer.size()));
    if (options.disk_limiter) options.disk_limiter->Acquire(want);
    size_t n = file.ReadAt(ByteSpan(buffer.data(), want), offset);
    if (n == 0) break;  // the file shrank: the pages it lost are stored as zeros below
    size_t got = n - n % pg::kBlockSize;
    if (got == 0) break;  // less than a page left: handled as a file that shrank
    ConstByteSpan data(buffer.data(), got);
    if (verifier) verifier->Update(data);
    for (size_t at = 0; at < got; at += pg::kBlockSize) {
      switch (ClassifyPageForDelta(data.subspan(at, pg::kBlockSize), base_start_lsn)) {
        case PageDelta::kUnchanged:
          break;
        case PageDelta::kChanged:
          header.blocks.push_back(static_cast<uint32_t>((offset + at) / pg::kBlockSize));
          break;
        case PageDelta::kInvalid:
          spdlog::warn(
              "{}: block {} is not a valid page; storing the whole file instead of an "
              "increment",
              entry.header.name, (offset + at) / pg::kBlockSize);
          return std::nullopt;
      }
    }
    offset += got;
    if (options.on_bytes) options.on_bytes(got);
  }
  // Pages past the end of a file that shrank while read: zeros, as a full backup stores them.
  for (; offset < header.file_size; offset += pg::kBlockSize) {
    header.blocks.push_back(static_cast<uint32_t>(offset / pg::kBlockSize));
  }
  return header;
}

}  // namespace

bool IsIncrementable(const WalkedEntry& entry) {
  if (!entry.has_page_checksums || entry.header.type != TarEntry::Type::kRegular) return false;
  if (entry.header.size == 0 || entry.header.size % pg::kBlockSize != 0) return false;
  std::string_view name = entry.header.name;
  return name.substr(name.rfind('/') + 1).find('_') == std::string_view::npos;
}

std::optional<PackedFile> PackIncrement(TarPartition& tar, const WalkedEntry& entry,
                                        const FileReadOptions& options, pg::Lsn base_start_lsn) {
  LocalFile file;
  if (int err = options.fs.Open(entry.source_path, O_RDONLY, 0, file)) {
    if (err == ENOENT) return std::nullopt;  // removed since the walk (a dropped relation)
    ThrowSystemError("cannot open", entry.source_path, err);
  }
  std::optional<PageVerifier> verifier;
  if (options.verify_page_checksums) {
    verifier.emplace(entry.first_block, options.backup_start_lsn);
    verifier->set_max_recorded(options.max_corrupt_blocks_recorded);
  }
  std::optional<IncrementHeader> header = ScanPages(file, entry, options, base_start_lsn, verifier);
  if (!header) {
    FileReadOptions again = options;
    again.on_bytes = nullptr;  // the scan already counted these bytes for the progress line
    return tar.AddFile(entry, again);
  }

  TarEntry member = entry.header;
  member.size = header->total_size();
  IncrementReader content(file, *header);
  PackedFile packed;
  packed.incremented = true;
  packed.sha256 = tar.AddStream(member, content, options);
  packed.size = member.size;
  if (verifier && verifier->corrupt_count() > 0) {
    packed.corrupt_blocks =
        CorruptBlocksInfo{.count = static_cast<int64_t>(verifier->corrupt_count()),
                          .some_blocks = verifier->corrupt_blocks()};
  }
  return packed;
}

}  // namespace walnut
