#include "pipeline/context_reader.h"

#include "common/error.h"

namespace walnut {

size_t ContextReader::Read(ByteSpan dst) {
  try {
    return inner_->Read(dst);
  } catch (const Error& e) {
    throw Error(e.code(), context_ + ": " + e.what(), e.retryable());
  }
}

}  // namespace walnut
