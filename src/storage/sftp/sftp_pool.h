#pragma once

#include <memory>
#include <vector>

#include "common/mutex.h"
#include "storage/sftp/sftp_connection.h"
#include "storage/sftp/sftp_options.h"

namespace walnut::sftp {

class SftpPool;

// One connection lent by the pool to one user (a request, a Reader, a Writer); returned when the
// lease ends, or closed instead when the user marked it broken (after a connection failure).
// Not thread-safe.
class SftpLease {
 public:
  SftpLease(SftpPool& pool, std::unique_ptr<SftpConnection> connection);
  ~SftpLease();
  SftpLease(const SftpLease&) = delete;
  SftpLease& operator=(const SftpLease&) = delete;

  SftpConnection& operator*() const { return *connection_; }
  SftpConnection* operator->() const { return connection_.get(); }

  // Builds the Error for a failed request (SftpConnection::RequestError) and, when the
  // connection itself failed, makes sure it is not reused.
  Error Fail(std::string_view action, std::string_view path);

  const SftpOptions& pool_options() const;

 private:
  SftpPool& pool_;
  std::unique_ptr<SftpConnection> connection_;
};

// At most options.max_connections SSH connections, made on demand and reused: parallel transfers
// each get a channel of their own, and a burst of small requests pays the handshake once.
// Thread-safe.
class SftpPool {
 public:
  explicit SftpPool(SftpOptions options);

  // An idle connection, or a new one when fewer than max_connections exist; otherwise waits for
  // one to be returned. Throws what SftpConnection's constructor throws.
  std::unique_ptr<SftpLease> Acquire() EXCLUDES(mu_);

  const SftpOptions& options() const { return options_; }

 private:
  friend class SftpLease;
  void Return(std::unique_ptr<SftpConnection> connection) EXCLUDES(mu_);

  const SftpOptions options_;
  Mutex mu_;
  CondVar returned_;
  std::vector<std::unique_ptr<SftpConnection>> idle_ GUARDED_BY(mu_);
  size_t open_ GUARDED_BY(mu_) = 0;  // idle and lent together
};

}  // namespace walnut::sftp
