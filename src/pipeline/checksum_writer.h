#pragma once

#include <memory>
#include <string>

#include "io/digest.h"
#include "io/writer.h"
#include "storage/object_info.h"

namespace walnut {

// Forwards every byte to `next` unchanged while hashing it. Close() first puts the SHA-256
// (lower-case hex) under `metadata_name` into `late`, which the storage writer at the end of the
// chain keeps with the object at its own Close() where it can (LateMetadata), then closes `next`.
// Placed above compression it hashes the content; just above the storage writer, the stored
// bytes (on whatever thread writes them). Not thread-safe.
class ChecksumWriter : public Writer {
 public:
  ChecksumWriter(std::unique_ptr<Writer> next, std::shared_ptr<LateMetadata> late,
                 std::string metadata_name);

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  std::unique_ptr<Writer> next_;
  std::shared_ptr<LateMetadata> late_;
  std::string metadata_name_;
  Sha256Hasher hasher_;
};

}  // namespace walnut
