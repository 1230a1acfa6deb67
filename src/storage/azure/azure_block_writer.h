#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "concurrency/task_group.h"
#include "io/writer.h"
#include "storage/azure/azure_client.h"
#include "storage/object_info.h"

namespace walnut::azure {

// Writes one block blob. Data is buffered up to WALG_AZURE_BUFFER_SIZE: a blob that fits (Close()
// before the buffer fills) is sent as one Put Blob. A larger one is sent as Put Block requests,
// up to WALG_AZURE_MAX_BUFFERS - 1 in flight while the next buffer fills (with one buffer, each
// block is sent before more is taken), then committed by Put Block List at Close(). Memory stays
// below buffer size x max buffers. Metadata, the late metadata included, goes with the request
// that commits (Put Blob or Put Block List), so it is always kept. Nothing is visible before
// Close(); blocks of an aborted or killed upload stay uncommitted and Azure discards them (after
// a week). Not thread-safe (one producer), as every Writer.
class AzureBlockWriter : public Writer {
 public:
  AzureBlockWriter(AzureClient& client, std::string blob, std::map<std::string, std::string> metadata,
                   std::shared_ptr<LateMetadata> late);
  ~AzureBlockWriter() override;

  void Write(ConstByteSpan src) override;
  void Close() override;
  void Abort() noexcept override;

 private:
  // Hands the buffer over as the next block (to an upload task, or sent here with one buffer).
  void SubmitBlock();
  void PutBlock(const std::string& id, const std::string& data, std::stop_token stop);
  void PutSingle();
  void CommitBlocks();
  net::HttpHeaders MetadataHeaders() const;
  void CheckOpen() const;

  AzureClient& client_;
  const std::string blob_;
  const std::map<std::string, std::string> metadata_;
  const std::shared_ptr<LateMetadata> late_;
  const size_t buffer_size_;
  const std::string id_prefix_;  // random per upload: two writers of one blob do not mix blocks
  std::string buffer_;
  std::vector<std::string> block_ids_;  // in order
  std::unique_ptr<TaskGroup> tasks_;    // null with a single buffer
  enum class State { kOpen, kClosed, kAborted, kFailed } state_ = State::kOpen;
};

}  // namespace walnut::azure
