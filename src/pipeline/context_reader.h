#pragma once

#include <memory>
#include <string>

#include "io/reader.h"

namespace walnut {

// Prefixes every Error thrown by the wrapped chain with the object it came from, so that a
// decoder's "lz4: truncated frame" reaches the operator as "s3://b/wal_005/X.lz4: lz4: truncated
// frame". Keeps the error code and retryability. Not thread-safe.
class ContextReader : public Reader {
 public:
  ContextReader(std::unique_ptr<Reader> inner, std::string context)
      : inner_(std::move(inner)), context_(std::move(context)) {}
  size_t Read(ByteSpan dst) override;

 private:
  std::unique_ptr<Reader> inner_;
  std::string context_;
};

}  // namespace walnut
