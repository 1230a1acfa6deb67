#include "io/hashing_writer.h"

#include "common/error.h"

namespace walnut {

HashingWriter::HashingWriter(std::unique_ptr<Writer> next, std::shared_ptr<DigestResult> result)
    : next_(std::move(next)), result_(std::move(result)) {
  if (!next_ || !result_) {
    throw Error(ErrorCode::kInternal, "hashing writer needs a downstream writer and a result");
  }
}

HashingWriter::~HashingWriter() {
  if (!done_) Abort();
}

void HashingWriter::Write(ConstByteSpan src) {
  if (done_) throw Error(ErrorCode::kInternal, "hashing writer: write after close");
  // Downstream first: the digest describes only bytes it accepted.
  next_->Write(src);
  hasher_.Update(src);
}

void HashingWriter::Close() {
  if (done_) throw Error(ErrorCode::kInternal, "hashing writer: closed twice");
  next_->Close();
  done_ = true;
  result_->Set(hasher_.Finish());
}

void HashingWriter::Abort() noexcept {
  done_ = true;
  next_->Abort();
}

}  // namespace walnut
