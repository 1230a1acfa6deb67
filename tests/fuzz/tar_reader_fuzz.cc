// Feeds arbitrary bytes to the tar reader, which reads backup partitions from storage: every
// entry is listed and its content read (in pieces whose size the first byte picks). Any outcome
// but walnut::Error (a crash, a sanitizer report, another exception, a hang) is a bug, and every
// name handed out must be safe to join to a target directory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "backup/tar_reader.h"
#include "common/error.h"
#include "io/memory_stream.h"

namespace {

constexpr std::array<size_t, 4> kReadSizes = {1, 511, 4096, 100000};

void CheckSafe(const std::string& name) {
  if (name.starts_with('/') || name == ".." || name.starts_with("../") || name.ends_with("/..") ||
      name.find("/../") != std::string::npos || name.find('\0') != std::string::npos) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t read_size = kReadSizes[data[0] % kReadSizes.size()];
  walnut::MemoryReader input(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  walnut::TarReader reader(input, "fuzz.tar");
  std::string buffer(read_size, '\0');
  try {
    while (auto entry = reader.Next()) {
      CheckSafe(entry->name);
      uint64_t total = 0;
      while (size_t n = reader.ReadContent(walnut::AsWritableBytes(buffer))) total += n;
      if (total != entry->size) std::abort();
    }
  } catch (const walnut::Error&) {
  }
  return 0;
}
