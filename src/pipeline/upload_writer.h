#pragma once

#include <memory>
#include <string>

#include "io/writer.h"
#include "storage/object_info.h"

namespace walnut {

// The Writer MakeUploadWriter returns: forwards to the chain it built (compress, encrypt, store)
// and, once Close() returned, tells the SHA-256 recorded for the object. Not thread-safe.
class UploadWriter final : public Writer {
 public:
  // `metadata_name`: kContentSha256Metadata or kStoredSha256Metadata. `known_sha256`: the digest
  // the caller supplied up front (sent with the object's metadata), "" when `late` gets it at
  // Close() from a ChecksumWriter in the chain.
  UploadWriter(std::unique_ptr<Writer> chain, std::string metadata_name, std::string known_sha256,
               std::shared_ptr<LateMetadata> late);

  void Write(ConstByteSpan src) override { chain_->Write(src); }
  void Close() override;
  void Abort() noexcept override { chain_->Abort(); }

  // After Close(): the object's SHA-256 (lower-case hex) and the metadata name it is recorded
  // under (kContentSha256Metadata: of the content; kStoredSha256Metadata: of the stored bytes).
  const std::string& sha256() const { return sha256_; }
  const std::string& sha256_metadata_name() const { return metadata_name_; }
  // Whether the object carries it as metadata. False for an S3 multipart upload of a stream
  // (S3 takes metadata only before the first part) or a directory on a file system without
  // extended attributes: the caller records it elsewhere, or readers cannot verify the object.
  bool sha256_kept() const { return kept_; }

 private:
  std::unique_ptr<Writer> chain_;
  std::string metadata_name_;
  std::string sha256_;
  std::shared_ptr<LateMetadata> late_;
  bool kept_ = false;
};

}  // namespace walnut
