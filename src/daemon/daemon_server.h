#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include <sys/types.h>

#include "common/mutex.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "storage/folder.h"
#include "wal/wal_push.h"
#include "wal/wal_restore.h"

namespace walnut::daemon {

struct DaemonOptions {
  std::string socket_path;
  // PGDATA: a wal-push request names a file of <pgdata>/pg_wal, a wal-fetch request a destination
  // relative to it, as WAL-G's daemon reads them.
  std::filesystem::path pgdata;
  LocalFs& fs;
  WalPushOptions push;          // as the wal-push command's (wal::WalPushOptionsFromSettings)
  wal::WalRestoreOptions fetch;  // as the wal-fetch command's, without the prefetcher
  // WALG_DAEMON_WAL_UPLOAD_TIMEOUT: a request still running after this is answered as failed
  // (wal-push and wal-fetch alike); its work goes on in the background, holding its slot, and a
  // fetch that ends late writes nothing to its destination.
  std::chrono::milliseconds request_timeout{60'000};
  // How long a client may take to send its request once connected (and between messages).
  std::chrono::milliseconds read_timeout{10'000};
  // Requests served at once; more connections wait in the socket's backlog.
  size_t max_requests = 8;
  // After a stop request, how long work abandoned past its deadline may still take.
  std::chrono::milliseconds shutdown_grace{5'000};
};

// `walnut daemon SOCKET`: WAL-G's daemon protocol (docs/daemon.md) on a Unix socket, with the
// storage, settings and pipeline opened once. Listen() binds the socket, Serve() answers requests
// until `stop` is set, each on a thread of its own, at most max_requests at once.
class DaemonServer {
 public:
  DaemonServer(const Folder& root, const PipelineOptions& pipeline, DaemonOptions options);
  // Unlinks the socket if it is still the one Listen() bound. Requires Serve() to have returned
  // with nothing abandoned (or never to have run).
  ~DaemonServer();
  DaemonServer(const DaemonServer&) = delete;
  DaemonServer& operator=(const DaemonServer&) = delete;

  // Binds and listens on options.socket_path (mode 0660). A socket left by a daemon that is gone
  // (nothing accepts on it) is removed first. Throws kAlreadyExists when a live daemon answers on
  // the path, kFailedPrecondition when something other than a socket is there.
  void Listen();
  // Accepts and serves connections until `stop` is true, then closes and unlinks the socket,
  // waits for the requests in flight (each ends by its deadline) and, for up to shutdown_grace,
  // for work that passed its deadline. Returns how much work is still running after that (0 on
  // a clean stop); the caller must then end the process without destroying this object.
  size_t Serve(const std::atomic<bool>& stop);

 private:
  class Slot;
  void ServeConnection(int fd);
  void HandleConnection(int fd, const std::shared_ptr<void>& slot);
  char Push(const std::string& name, const std::shared_ptr<void>& slot);
  char Fetch(const std::string& name, const std::string& destination,
             const std::shared_ptr<void>& slot);
  void CloseListener();
  void Release();

  const Folder& root_;
  const PipelineOptions& pipeline_;
  const DaemonOptions options_;
  int listen_fd_ = -1;
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;
  Mutex mu_;
  CondVar cv_;
  size_t busy_ GUARDED_BY(mu_) = 0;  // connections and their work not yet finished
};

// `walnut daemon SOCKET`: listens (DaemonServer::Listen), logs where, serves until `stop` (set by
// SIGTERM or SIGINT) and returns once every request has ended. Requests still running after the
// shutdown grace end the process with exit status 1 instead (see Serve).
void RunDaemon(const Folder& root, const PipelineOptions& pipeline, DaemonOptions options,
               const std::atomic<bool>& stop);

}  // namespace walnut::daemon
