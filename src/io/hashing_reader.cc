#include "io/hashing_reader.h"

#include "common/error.h"

namespace walnut {

HashingReader::HashingReader(std::unique_ptr<Reader> next, std::shared_ptr<DigestResult> result)
    : next_(std::move(next)), result_(std::move(result)) {
  if (!next_ || !result_) {
    throw Error(ErrorCode::kInternal, "hashing reader needs an upstream reader and a result");
  }
}

size_t HashingReader::Read(ByteSpan dst) {
  if (finished_ || dst.empty()) return 0;
  size_t n = next_->Read(dst);
  if (n == 0) {
    finished_ = true;
    result_->Set(hasher_.Finish());
    return 0;
  }
  hasher_.Update(dst.first(n));
  return n;
}

}  // namespace walnut
