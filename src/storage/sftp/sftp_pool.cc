#include "storage/sftp/sftp_pool.h"

#include <utility>

namespace walnut::sftp {

SftpLease::SftpLease(SftpPool& pool, std::unique_ptr<SftpConnection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

SftpLease::~SftpLease() { pool_.Return(std::move(connection_)); }

Error SftpLease::Fail(std::string_view action, std::string_view path) {
  Error error = connection_->RequestError(action, path);
  // Returned broken, the connection is closed rather than kept (SftpPool::Return checks).
  return error;
}

const SftpOptions& SftpLease::pool_options() const { return pool_.options(); }

SftpPool::SftpPool(SftpOptions options) : options_(std::move(options)) {}

std::unique_ptr<SftpLease> SftpPool::Acquire() {
  {
    MutexLock lock(mu_);
    while (idle_.empty() && open_ >= options_.max_connections) returned_.Wait(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<SftpConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      return std::make_unique<SftpLease>(*this, std::move(connection));
    }
    ++open_;  // reserved now, connected below without the lock
  }
  try {
    return std::make_unique<SftpLease>(*this, std::make_unique<SftpConnection>(options_));
  } catch (...) {
    MutexLock lock(mu_);
    --open_;
    returned_.NotifyOne();
    throw;
  }
}

void SftpPool::Return(std::unique_ptr<SftpConnection> connection) {
  if (!connection) return;
  bool reusable = connection->alive();
  std::unique_ptr<SftpConnection> closing;
  {
    MutexLock lock(mu_);
    if (reusable) {
      idle_.push_back(std::move(connection));
    } else {
      closing = std::move(connection);
      --open_;
    }
    returned_.NotifyOne();
  }
  // A broken connection is closed outside the lock: its disconnect may wait on the network.
}

}  // namespace walnut::sftp
