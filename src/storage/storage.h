#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "io/reader.h"
#include "io/writer.h"
#include "storage/object_info.h"
#include "storage/object_version.h"
#include "storage/storage_reader.h"

namespace walnut {

// What a backend can do beyond the basics; callers ask instead of switching on the backend.
enum class StorageFeature : unsigned {
  kBatchDelete = 1,
  kAtomicRename = 2,
  // A local file system: a transfer costs CPU and disk, not network round trips, so more parallel
  // transfers than cores gain nothing.
  kLocal = 4,
  // PutOptions::late_metadata is kept for an object of any size (not only one that fits a single
  // request): a caller can then record a streamed object's digest at its end.
  kLateMetadata = 8,
  // Keeps object versions (S3): ListVersions and DeleteVersions work. Delete(keys) still removes
  // every version of those keys where the backend knows the bucket keeps versions.
  kVersions = 16,
  // Listing the keys that start with a prefix costs one request, however many keys the level
  // holds (S3's ListObjects): one listing can replace several Stat calls. A directory (readdir of
  // the whole level) does not have it.
  kPrefixListing = 32,
};

// An object store: a flat namespace of keys ('/'-separated, relative to the storage root, no
// leading '/'). Implementations are thread-safe: several threads may call any method at once, each
// on its own Reader/Writer. Failures throw Error; transient ones are marked retryable, and the
// backend retries them itself (bounded, with backoff) before throwing.
class Storage {
 public:
  virtual ~Storage() = default;

  // A human-readable name of the root ("file:///var/backups", "s3://bucket/path") for messages.
  virtual std::string Describe() const = 0;

  // Streams an object's bytes, with the metadata kept with it. Throws kNotFound naming the key
  // when it does not exist.
  virtual std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) = 0;

  // Returns nullopt when the object does not exist: absence is not an error.
  virtual std::optional<ObjectInfo> Stat(std::string_view key) = 0;

  // Starts writing an object. Nothing is visible under `key` before the Writer's Close() returns,
  // and an aborted or destroyed Writer leaves the previous object (or none) in place. Metadata in
  // options.late_metadata is kept where the backend still can at Close() (see LateMetadata).
  virtual std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) = 0;

  // Calls fn for every object whose key starts with `prefix`, in key order, paginating as needed.
  virtual void List(std::string_view prefix, const ListOptions& options,
                    const std::function<void(const ObjectInfo&)>& fn) = 0;

  // Deletes the keys; missing keys are not an error. Backends batch where they can. A backend
  // that keeps versions removes every version of each key, so the space is freed. Keys the
  // storage refuses to delete because they are under retention (S3 Object Lock) do not stop the
  // others: they are reported at the end by throwing ObjectsLockedError (storage/locked_objects.h).
  virtual void Delete(std::span<const std::string> keys) = 0;

  // Calls fn for every version (delete markers included) of every key starting with `prefix`, in
  // key order and, for one key, newest first. Throws kUnsupported unless Supports(kVersions).
  virtual void ListVersions(std::string_view prefix,
                            const std::function<void(const ObjectVersion&)>& fn);
  // Deletes exactly these versions (key and version_id); as Delete for missing and locked ones.
  // Throws kUnsupported unless Supports(kVersions).
  virtual void DeleteVersions(std::span<const ObjectVersion> versions);

  // The leftovers of writes that never committed, below `prefix` (options.recursive: at any
  // depth; else only at the level below it): a directory storage's hidden temporary files, of
  // writes in progress or of writers that were killed (their mtime tells which). Their keys may
  // be given to Delete(). The default reports none: an object store commits an object whole or
  // not at all.
  virtual void ListTemporaryFiles(std::string_view /*prefix*/, const ListOptions& /*options*/,
                                  const std::function<void(const ObjectInfo&)>& /*fn*/) {}

  // Which of several storages holds `key`: a FailoverStorage answers "default" (the primary) or
  // a failover storage's name, "" when none has it; a single storage answers "".
  virtual std::string HolderOf(std::string_view /*key*/) { return ""; }

  virtual bool Supports(StorageFeature feature) const = 0;

  // The size of the buffers a Put fills before it sends them (S3: the part size); 0 for a backend
  // that streams without buffering. Callers size their parallelism by it.
  virtual uint64_t PutBufferUnit() const { return 0; }
  // The memory one Put of an object of `size` bytes holds in such buffers at most.
  virtual uint64_t PutBufferBytes(uint64_t /*size*/) const { return 0; }
};

}  // namespace walnut
