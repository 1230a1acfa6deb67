#pragma once

#include <memory>
#include <string>

#include "storage/azure/azure_client.h"
#include "storage/azure/azure_options.h"
#include "storage/storage.h"

namespace walnut::azure {

// Storage on an Azure Blob Storage container under options.root, as WAL-G lays it out (block
// blobs named root/key). Get streams ranged Get Blob requests, Put writes a block blob (one Put
// Blob, or Put Block + Put Block List with bounded concurrency: azure_block_writer.h), List pages
// through List Blobs (prefix, delimiter, marker), Delete sends one Delete Blob per key, several in
// parallel (Azure's batch API is not used). Every request is retried with backoff on 5xx, 429 and
// network errors within WALNUT_STORAGE_RETRY_TIMEOUT. Thread-safe.
class AzureStorage : public Storage {
 public:
  // Throws Error(kInvalidArgument) naming the setting that is wrong.
  explicit AzureStorage(AzureOptions options);
  ~AzureStorage() override;

  std::string Describe() const override;
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;
  bool Supports(StorageFeature feature) const override;
  uint64_t PutBufferUnit() const override;
  uint64_t PutBufferBytes(uint64_t size) const override;

  AzureStats& stats() { return client_->stats(); }
  const AzureOptions& options() const { return options_; }

 private:
  std::string FullKey(std::string_view key) const;

  AzureOptions options_;
  std::string root_prefix_;  // "" or "a/b/"
  std::unique_ptr<AzureClient> client_;
};

// Checks the options as AzureStorage's constructor does.
void ValidateAzureOptions(const AzureOptions& options);

}  // namespace walnut::azure
