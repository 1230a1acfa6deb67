#include "io/copy.h"

#include <vector>

namespace walnut {

uint64_t Copy(Reader& reader, Writer& writer, size_t buffer_size) {
  std::vector<std::byte> buffer(buffer_size);
  uint64_t total = 0;
  while (size_t n = reader.Read(buffer)) {
    writer.Write(ConstByteSpan(buffer.data(), n));
    total += n;
  }
  return total;
}

}  // namespace walnut
