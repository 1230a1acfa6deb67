#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/mutex.h"
#include "storage/storage_wrapper.h"

namespace walnut::testing {

// A storage whose uploads of keys containing `pattern` cannot finish until the test opens the
// gate: their Writers' Close() waits. It counts the Close() calls held at once, so a test can see
// how many uploads a component lets wait. Thread-safe. REQUIRES: outlives its Writers.
class GatedStorage : public StorageWrapper {
 public:
  GatedStorage(Storage& target, std::string pattern);

  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;

  // Lets every held and later Close() through.
  void Open();
  // Waits until `count` Close() calls are held at once; false if that did not happen in time.
  bool WaitUntilHeld(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  size_t held() const;
  size_t max_held() const;

  // Used by the Writers handed out: blocks while the gate is shut.
  void Hold();

 private:
  const std::string pattern_;
  mutable Mutex mu_;
  CondVar changed_;
  bool open_ GUARDED_BY(mu_) = false;
  size_t held_ GUARDED_BY(mu_) = 0;
  size_t max_held_ GUARDED_BY(mu_) = 0;
};

}  // namespace walnut::testing
