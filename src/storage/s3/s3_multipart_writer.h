#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "concurrency/task_group.h"
#include "io/writer.h"
#include "storage/object_info.h"
#include "storage/s3/s3_client.h"

namespace walnut::s3 {

// Writes one S3 object. Data is buffered up to one part: an object that fits (Close() before the
// buffer fills) is sent as a single PutObject with Content-Length. A larger one becomes a
// multipart upload whose parts are sent concurrently (up to upload_concurrency in flight), so
// memory stays below (upload_concurrency + 1) x part size. Close() completes the upload; Abort()
// or destruction without Close() aborts it and nothing becomes visible.
// Each part's body is signed with its SHA-256 (x-amz-content-sha256), which S3 checks: end-to-end
// integrity per part even over plain HTTP, computed on the upload threads.
// Not thread-safe (one producer), as every Writer.
class S3MultipartWriter : public Writer {
 public:
  // `metadata` is sent as x-amz-meta-<name> headers with the object (PutOptions::metadata);
  // `late` (PutOptions::late_metadata, may be null) too when the object goes as one PutObject,
  // whose headers are sent at Close(); a multipart upload cannot take it (kept stays false).
  S3MultipartWriter(S3Client& client, std::string full_key, std::optional<uint64_t> size_hint,
                    std::map<std::string, std::string> metadata = {},
                    std::shared_ptr<LateMetadata> late = nullptr);
  ~S3MultipartWriter() override;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  void StartMultipart();
  // Hands the buffer to an upload task as the next part.
  void SubmitPart();
  void UploadPart(int number, const std::string& data, std::stop_token stop);
  void Complete();
  void PutSingle();
  void CheckOpen() const;
  // The headers of the request that creates the object: storage class, encryption, metadata
  // (and the late metadata for a single PutObject).
  net::HttpHeaders CreationHeaders(bool with_late_metadata) const;

  S3Client& client_;
  const std::string key_;  // full key in the bucket
  const std::map<std::string, std::string> metadata_;
  const std::shared_ptr<LateMetadata> late_;
  size_t part_size_;
  std::string buffer_;
  uint64_t total_bytes_ = 0;
  std::string upload_id_;          // set once the multipart upload exists
  net::HttpHeaders lock_headers_;  // the Object Lock headers it was created with
  int parts_submitted_ = 0;
  std::unique_ptr<TaskGroup> tasks_;
  Mutex mu_;
  std::vector<std::string> etags_ GUARDED_BY(mu_);  // index = part number - 1
  enum class State { kOpen, kClosed, kAborted, kFailed } state_ = State::kOpen;
};

}  // namespace walnut::s3
