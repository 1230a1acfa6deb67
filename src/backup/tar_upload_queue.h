#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "backup/tar_partition.h"
#include "common/mutex.h"

namespace walnut {

// WALG_UPLOAD_QUEUE, as in WAL-G's TarBallQueue: a filled tar is handed over here and finishes
// (the compressor's last block, the upload parts still in flight, the commit) on a thread of the
// queue, while the worker that filled it goes on with the next tar. At most `capacity` tars
// finish at once: Submit() blocks while that many are waiting for their upload, which bounds
// backup-push's memory to (WALG_UPLOAD_DISK_CONCURRENCY + WALG_UPLOAD_QUEUE) tars' buffers.
// After a failure, tars not yet finishing are dropped (their uploads abort). Thread-safe.
class TarUploadQueue {
 public:
  // Called on a queue thread once a tar is committed (may run on several threads at once).
  using OnUploaded = std::function<void(TarPartition&)>;
  // Called on a queue thread when a tar's upload fails (the first failure and any later ones).
  using OnFailed = std::function<void(std::exception_ptr)>;

  // REQUIRES: capacity >= 1. The callbacks must outlive the queue.
  TarUploadQueue(size_t capacity, OnUploaded on_uploaded, OnFailed on_failed);
  // Waits for the tars already finishing; drops those not started (after Cancel()).
  ~TarUploadQueue();
  TarUploadQueue(const TarUploadQueue&) = delete;
  TarUploadQueue& operator=(const TarUploadQueue&) = delete;

  // Hands `tar` over, blocking while `capacity` tars are finishing. Returns false, dropping the
  // tar (its upload aborts), once a tar failed or Cancel() was called.
  bool Submit(std::unique_ptr<TarPartition> tar);
  // Waits until every tar handed over has finished or been dropped.
  void Drain();
  // Stops finishing tars: those waiting are dropped, later Submit() calls return false.
  void Cancel();

  // Tars handed over and not finished yet (for tests and logs).
  size_t waiting() const;

 private:
  void Run();

  const size_t capacity_;
  const OnUploaded on_uploaded_;
  const OnFailed on_failed_;
  mutable Mutex mu_;
  CondVar changed_;
  std::deque<std::unique_ptr<TarPartition>> handed_over_ GUARDED_BY(mu_);  // not picked yet
  size_t waiting_ GUARDED_BY(mu_) = 0;  // handed over and not finished
  bool cancelled_ GUARDED_BY(mu_) = false;
  bool shutting_down_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace walnut
