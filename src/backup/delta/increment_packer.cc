#include "backup/delta/increment_packer.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "backup/delta/increment_reader.h"
#include "backup/delta/page_selection.h"
#include "backup/page_verifier.h"
#include "common/error.h"
#include "common/logging.h"
#include "storage/fs/unique_fd.h"

namespace walnut {
namespace {

constexpr size_t kScanReadSize = 256 * 1024;  // whole pages

// Reads the file once and lists the pages the increment needs. nullopt when a page is not a
// PostgreSQL page (the file is then stored whole).
std::optional<IncrementHeader> ScanPages(int fd, const WalkedEntry& entry,
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
    ssize_t n = ::read(fd, buffer.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError(fmt::format("cannot read {}", entry.source_path));
    }
    if (n == 0) break;  // the file shrank: the pages it lost are stored as zeros below
    size_t got = static_cast<size_t>(n) - static_cast<size_t>(n) % pg::kBlockSize;
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
    if (got < static_cast<size_t>(n) && ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
      ThrowSystemError(fmt::format("cannot seek in {}", entry.source_path));
    }
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
  UniqueFd fd(::open(entry.source_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;  // removed since the walk (a dropped relation)
    ThrowSystemError(fmt::format("cannot open {}", entry.source_path));
  }
  std::optional<PageVerifier> verifier;
  if (options.verify_page_checksums) {
    verifier.emplace(entry.first_block, options.backup_start_lsn);
    verifier->set_max_recorded(options.max_corrupt_blocks_recorded);
  }
  std::optional<IncrementHeader> header =
      ScanPages(fd.get(), entry, options, base_start_lsn, verifier);
  if (!header) {
    FileReadOptions again = options;
    again.on_bytes = nullptr;  // the scan already counted these bytes for the progress line
    return tar.AddFile(entry, again);
  }

  TarEntry member = entry.header;
  member.size = header->total_size();
  IncrementReader content(fd.get(), entry.source_path, *header);
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
