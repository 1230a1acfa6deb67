#include "observe/storage_probe.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/bytes.h"
#include "common/error.h"
#include "io/reader.h"

namespace walnut::observe {

void ProbeStorageWrite(const Folder& root) {
  std::random_device rd;
  std::string name;
  do {
    name = fmt::format("walnut-check-{:016x}{:016x}", uint64_t{rd()} << 32 | rd(),
                       uint64_t{rd()} << 32 | rd());
  } while (root.Stat(name));
  auto writer = root.Put(name, PutOptions{.size_hint = 4, .metadata = {}});
  writer->Write(AsBytes("test"));
  writer->Close();
  // Read it back: a write that cannot be read is not a working archive.
  auto reader = root.Get(name);
  std::string back(8, '\0');
  size_t n = ReadFull(*reader, AsWritableBytes(back));
  std::vector<std::string> keys{name};
  root.Delete(keys);
  if (back.substr(0, n) != "test") {
    throw Error(ErrorCode::kCorruption,
                fmt::format("write check: {} read back different bytes", root.Key(name)));
  }
}

}  // namespace walnut::observe
