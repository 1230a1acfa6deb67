#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <string>
#include <thread>
#include <utility>

#include "common/mutex.h"
#include "localfs/local_fs.h"

namespace walnut {

// Syncs and closes restored files on a thread of its own, so that extraction goes on writing the
// next file while the disk takes the previous one: an fsync on the extracting thread stalls it for
// as long as the disk needs. At most `max_pending` files wait (open descriptors stay bounded;
// Submit() blocks beyond). Flush() returns once every file handed over is synced and closed, and
// throws the first failure, naming the file. Thread-safe.
class FileSyncer {
 public:
  explicit FileSyncer(size_t max_pending = 64) : max_pending_(max_pending == 0 ? 1 : max_pending) {}
  // Files still waiting are closed unsynced: only an unwinding restore gets here with any.
  ~FileSyncer();
  FileSyncer(const FileSyncer&) = delete;
  FileSyncer& operator=(const FileSyncer&) = delete;

  // Hands over a written file. Throws an earlier file's failure.
  void Submit(LocalFile file);
  // Waits until every file submitted so far is synced and closed; throws the first failure.
  void Flush();

 private:
  void Run();
  void RethrowLocked() REQUIRES(mu_);

  const size_t max_pending_;
  Mutex mu_;
  CondVar cv_;
  std::deque<LocalFile> queue_ GUARDED_BY(mu_);
  size_t in_flight_ GUARDED_BY(mu_) = 0;  // taken by the worker, not done yet
  bool stopping_ GUARDED_BY(mu_) = false;
  std::exception_ptr error_ GUARDED_BY(mu_);
  std::thread worker_;  // started by the first Submit()
};

}  // namespace walnut
