#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/mutex.h"
#include "storage/storage_wrapper.h"

namespace walnut::testing {

// The calls FaultyStorage counts and can fail. kWrite/kClose are calls on Writers from Put(),
// kRead on Readers from Get().
enum class StorageOp { kPut, kWrite, kClose, kGet, kRead, kList, kDelete, kStat };
inline constexpr size_t kStorageOpCount = 8;

// Injects failures into a Storage, after LevelDB's FaultInjectionTestEnv: fail the Nth call of a
// kind with a chosen Error (retryable or not), cut a Get() body short after K bytes (silently, as a
// dropped connection looks to a naive reader, or with an Error), and count calls.
// A failed Write or Close throws before reaching the target, so the target object is not
// committed; the target writer is aborted when the caller aborts or drops the writer.
// Thread-safe. REQUIRES: outlives the Readers and Writers it returns.
class FaultyStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;

  // Makes calls nth .. nth+times-1 of `op` throw `error`, counting from the next call after this
  // one (nth = 1 is the very next call).
  void FailCall(StorageOp op, uint64_t nth, Error error, uint64_t times = 1);
  // Makes the bodies of Gets nth .. nth+times-1 (counted like FailCall) end after `after_bytes`
  // bytes: Read() then returns 0 (end of stream) when `error` is empty, else throws it.
  void TruncateGet(uint64_t nth, uint64_t after_bytes, std::optional<Error> error = std::nullopt,
                   uint64_t times = 1);
  // Drops all configured faults; counters keep running.
  void ClearFaults();

  // Calls of `op` since construction (including the failed ones).
  uint64_t calls(StorageOp op) const;

  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;

  // Counts a call of `op` and throws the Error configured for it, if any. Used by the Readers
  // and Writers handed out.
  void OnCall(StorageOp op);

 private:
  struct Fault {
    StorageOp op;
    uint64_t first;  // call numbers (1-based, since construction) first .. last are hit
    uint64_t last;
    std::optional<Error> error;
    std::optional<uint64_t> truncate_after;  // set for Get truncations
  };
  // What applies to one call.
  struct Hit {
    std::optional<Error> error;
    std::optional<uint64_t> truncate_after;
    std::optional<Error> truncate_error;
  };

  // Counts a call and returns the faults that apply to it.
  Hit Count(StorageOp op);
  void AddFault(StorageOp op, uint64_t nth, uint64_t times, std::optional<Error> error,
                std::optional<uint64_t> truncate_after);

  mutable Mutex mu_;
  std::array<uint64_t, kStorageOpCount> calls_ GUARDED_BY(mu_) = {};
  std::vector<Fault> faults_ GUARDED_BY(mu_);
};

}  // namespace walnut::testing
