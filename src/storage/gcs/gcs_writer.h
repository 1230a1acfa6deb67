#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "io/writer.h"
#include "storage/gcs/gcs_client.h"
#include "storage/object_info.h"

namespace walnut::gcs {

// Writes one GCS object. Data is buffered up to one chunk (GcsOptions::chunk_size, a multiple of
// 256 KiB): an object that fits is sent at Close() as one multipart upload (uploadType=multipart:
// its metadata, late metadata included, and its bytes in one request). A larger one becomes a
// resumable upload (uploadType=resumable): a session is opened with the metadata, each full chunk
// is PUT with "Content-Range: bytes a-b/*", and Close() sends the rest with the total size, then
// adds the late metadata with an objects.patch conditional on the new generation (a reader in
// between sees the object without it). A
// chunk whose request fails is resumed from the byte after the last one the server says it has
// (the Range header of a 308 answer to a status query), so a dropped connection re-sends at most
// one chunk. Nothing is visible before the final chunk is accepted; Abort() or destruction
// cancels the session (DELETE), and a session left behind by a killed process expires by itself
// after a week without becoming an object.
// Memory: one chunk. Not thread-safe (one producer), as every Writer.
class GcsWriter : public Writer {
 public:
  GcsWriter(GcsClient& client, std::string object, std::map<std::string, std::string> metadata,
            std::shared_ptr<LateMetadata> late);
  ~GcsWriter() override;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  void StartSession();
  // Sends buffer_ (which starts at byte offset_) as the next chunk; `last`: with the total size.
  void SendChunk(bool last);
  // Asks the session how many bytes it has: PUT with "Content-Range: bytes */<total or *>".
  // Returns nullopt when the upload is already complete (200/201).
  std::optional<uint64_t> QueryCommitted(std::optional<uint64_t> total, Deadline deadline);
  void PutSimple();
  // After a resumable upload: adds the late metadata with objects.patch (ifGenerationMatch).
  void PatchLateMetadata();
  std::string ResourceJson(bool with_late) const;
  void CheckOpen() const;

  GcsClient& client_;
  const std::string object_;
  const std::map<std::string, std::string> metadata_;
  const std::shared_ptr<LateMetadata> late_;
  const uint64_t chunk_size_;
  const Deadline deadline_;  // GCS_CONTEXT_TIMEOUT from the start of the upload
  std::string buffer_;
  uint64_t offset_ = 0;     // the object offset of buffer_[0]: bytes the server has committed
  std::string session_;     // the resumable session URI once opened
  std::string generation_;  // of the object the final chunk made
  enum class State { kOpen, kClosed, kAborted, kFailed } state_ = State::kOpen;
};

}  // namespace walnut::gcs
