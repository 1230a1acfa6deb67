#pragma once

#include <memory>
#include <string>

#include "storage/locked_objects.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_options.h"
#include "storage/s3/s3_versioning.h"
#include "storage/storage.h"

namespace walnut::s3 {

// Storage on an S3 bucket (AWS or an S3-compatible server) under options.root. Requests are
// signed with SigV4 (anonymous when no key id is set) and retried with backoff on 5xx, 429 and
// network errors. Get streams with ranged GETs, Put uses a single PUT or a concurrent multipart
// upload, List pages through ListObjectsV2, Delete batches DeleteObjects by 1000 keys (on a
// versioned bucket: every version of them, s3_versioning.h). Thread-safe.
class S3Storage : public Storage {
 public:
  // Validates the options; throws Error(kInvalidArgument) naming the setting that is wrong
  // (e.g. "WALG_S3_SSE_KMS_ID is required when WALG_S3_SSE=aws:kms").
  explicit S3Storage(S3Options options);
  ~S3Storage() override;

  std::string Describe() const override;
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;
  void ListVersions(std::string_view prefix,
                    const std::function<void(const ObjectVersion&)>& fn) override;
  void DeleteVersions(std::span<const ObjectVersion> versions) override;
  bool Supports(StorageFeature feature) const override;
  uint64_t PutBufferUnit() const override;
  uint64_t PutBufferBytes(uint64_t size) const override;

  // Request counters (parts uploaded, list pages, ...), for tests and diagnostics.
  const S3Stats& stats() const { return client_->stats(); }
  const S3Options& options() const { return options_; }

 private:
  std::string FullKey(std::string_view key) const;
  // Deletes the entries in DeleteObjects batches; adds the locked ones to `locked` (full keys);
  // throws for any other failure.
  void DeleteEntries(std::span<const KeyVersion> entries, LockedObjects& locked);
  // Throws ObjectsLockedError naming `locked`'s keys relative to the root, once each.
  [[noreturn]] void ThrowLocked(LockedObjects locked) const;

  S3Options options_;
  std::string root_prefix_;  // "" or "a/b/"
  std::unique_ptr<S3Client> client_;
  VersioningProbe versioning_;
};

// Checks the options as S3Storage's constructor does; exposed for the settings layer.
void ValidateS3Options(const S3Options& options);

}  // namespace walnut::s3
