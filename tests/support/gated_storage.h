#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

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
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = false;    // GUARDED_BY(mu_)
  size_t held_ = 0;      // GUARDED_BY(mu_)
  size_t max_held_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace walnut::testing
