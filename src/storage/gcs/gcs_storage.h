#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/gcs/gcs_client.h"
#include "storage/gcs/gcs_options.h"
#include "storage/storage.h"

namespace walnut::gcs {

// A prefix of a Google Cloud Storage bucket over the JSON API (WAL-G's WALG_GS_PREFIX): key "a/b"
// is the object <root>a/b, as WAL-G names it, so either tool reads what the other wrote. Custom
// metadata (the SHA-256 reads verify) is kept in the object resource's "metadata". Uploads:
// GcsWriter; reads: GcsReader; listings page through objects.list; deletes run in parallel
// (GcsOptions::delete_concurrency), a missing object being no error. Thread-safe.
class GcsStorage : public Storage {
 public:
  explicit GcsStorage(GcsOptions options);

  std::string Describe() const override;  // "gs://bucket/root"
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;
  bool Supports(StorageFeature feature) const override;
  uint64_t PutBufferUnit() const override { return options_.chunk_size; }
  uint64_t PutBufferBytes(uint64_t size) const override;

  GcsStats& stats() { return client_->stats(); }

 private:
  std::string ObjectName(std::string_view key) const { return options_.root + std::string(key); }
  void DeleteOne(const std::string& object, Deadline deadline);

  const GcsOptions options_;
  std::unique_ptr<GcsClient> client_;  // refers to options_
};

}  // namespace walnut::gcs
