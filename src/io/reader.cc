#include "io/reader.h"

namespace walnut {

size_t ReadFull(Reader& reader, ByteSpan dst) {
  size_t total = 0;
  while (total < dst.size()) {
    size_t n = reader.Read(dst.subspan(total));
    if (n == 0) break;
    total += n;
  }
  return total;
}

}  // namespace walnut
