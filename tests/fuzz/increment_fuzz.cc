// Feeds arbitrary bytes as a delta backup's increment to ReadIncrementHeader and ApplyIncrement,
// applied to a 3-page file in memory (memfd). The first byte picks the order: oldest first (no
// mask), or newest first (a PageMask, the increment applied twice, then a whole copy under it).
// Any outcome but walnut::Error is a bug; so is a refused increment that changed the file, or an
// accepted one whose pages or size are not in the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/delta/increment_applier.h"
#include "common/error.h"
#include "io/memory_stream.h"
#include "localfs/local_fs.h"
#include "postgres/page_checksum.h"

namespace {

constexpr size_t kPage = walnut::pg::kBlockSize;

std::string FileBytes(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) std::abort();
  if (static_cast<uint64_t>(st.st_size) > 4 * kPage) return "size " + std::to_string(st.st_size);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  if (::pread(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    std::abort();
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool reverse = (data[0] & 1) != 0;
  std::string increment(reinterpret_cast<const char*>(data) + 1, size - 1);
  int fd = ::memfd_create("increment_fuzz", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  std::string original =
      std::string(kPage, 'a') + std::string(kPage, 'b') + std::string(kPage, 'c');
  if (!reverse &&
      ::pwrite(fd, original.data(), original.size(), 0) != 3 * static_cast<ssize_t>(kPage))
    std::abort();
  std::string before = FileBytes(fd);
  walnut::LocalFile file(walnut::LocalFs::Default(), fd, "fuzz");  // closes fd
  walnut::PageMask mask;
  try {
    walnut::MemoryReader in(increment);
    walnut::IncrementHeader header =
        walnut::ApplyIncrement(in, increment.size(), file, "fuzz", reverse ? &mask : nullptr);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != header.file_size)
      std::abort();
    // Every page of the increment is in the file, at its block.
    std::string page(kPage, '\0');
    for (size_t i = 0; i < header.blocks.size(); ++i) {
      if (::pread(fd, page.data(), kPage, static_cast<off_t>(header.blocks[i] * kPage)) !=
              static_cast<ssize_t>(kPage) ||
          std::memcmp(page.data(), increment.data() + header.header_size() + i * kPage, kPage) !=
              0) {
        std::abort();
      }
    }
    if (reverse) {
      std::string after = FileBytes(fd);
      walnut::MemoryReader again(increment);
      walnut::ApplyIncrement(again, increment.size(), file, "fuzz", &mask);
      if (FileBytes(fd) != after) std::abort();  // every page was written already
      walnut::MemoryReader whole(original);
      walnut::ApplyWholeToMask(whole, original.size(), file, "fuzz", mask);
      if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != header.file_size)
        std::abort();
    }
  } catch (const walnut::Error&) {
    if (FileBytes(fd) != before) std::abort();  // refused before any byte changed
  }
  return 0;
}
