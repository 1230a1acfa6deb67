#pragma once

#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "storage/sftp/sftp_connection.h"
#include "storage/sftp/sftp_options.h"

namespace walnut::sftp {

class SftpPool;

// One connection lent by the pool to one user (a request, a Reader, a Writer); returned when the
// lease ends, or closed instead when it failed (SftpConnection::alive()). A lease may end on
// another thread than the one that took it (a Reader handed to a pipeline stage). Not
// thread-safe.
class SftpLease {
 public:
  SftpLease(SftpPool& pool, std::unique_ptr<SftpConnection> connection, std::thread::id holder);
  ~SftpLease();
  SftpLease(const SftpLease&) = delete;
  SftpLease& operator=(const SftpLease&) = delete;

  SftpConnection& operator*() const { return *connection_; }
  SftpConnection* operator->() const { return connection_.get(); }

  // The Error for a failed request (SftpConnection::RequestError). A connection that failed
  // itself is closed, not reused, when the lease ends.
  Error Fail(std::string_view action, std::string_view path);

  const SftpOptions& pool_options() const;

 private:
  SftpPool& pool_;
  std::unique_ptr<SftpConnection> connection_;
  std::thread::id holder_;  // the thread that took it
};

// At most options.max_connections SSH connections, made on demand and reused: parallel transfers
// each get a channel of their own, and a burst of small requests pays the handshake once. At most
// kConcurrentHandshakes connect at once, so a burst stays below sshd's MaxStartups (10
// unauthenticated connections by default, beyond which it drops new ones).
// A thread that already holds a lease gets another one without waiting, even beyond the bound:
// a caller holding a Reader while it asks for a Stat must not wait for itself (hold-and-wait
// would deadlock once every connection is held that way). Thread-safe.
class SftpPool {
 public:
  static constexpr size_t kConcurrentHandshakes = 4;

  explicit SftpPool(SftpOptions options);
  ~SftpPool();

  // An idle connection, or a new one when fewer than max_connections exist; otherwise waits for
  // one to be returned. Throws what SftpConnection's constructor throws.
  std::unique_ptr<SftpLease> Acquire() EXCLUDES(mu_);

  const SftpOptions& options() const { return options_; }

 private:
  friend class SftpLease;
  void Return(std::unique_ptr<SftpConnection> connection, std::thread::id holder) EXCLUDES(mu_);

  const SftpOptions options_;
  Mutex mu_;
  CondVar changed_;
  std::vector<std::unique_ptr<SftpConnection>> idle_ GUARDED_BY(mu_);
  size_t open_ GUARDED_BY(mu_) = 0;                         // idle, lent and being made
  size_t handshakes_ GUARDED_BY(mu_) = 0;                   // being made
  std::map<std::thread::id, size_t> held_ GUARDED_BY(mu_);  // leases per holding thread
  // Every connection that exists, idle or lent, for the watchdog (SftpConnection::Busy).
  std::vector<SftpConnection*> all_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  void Watch() EXCLUDES(mu_);
  std::thread watchdog_;  // last: started once the rest is built
};

}  // namespace walnut::sftp
