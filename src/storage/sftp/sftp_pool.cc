#include "storage/sftp/sftp_pool.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace walnut::sftp {

SftpLease::SftpLease(SftpPool& pool, std::unique_ptr<SftpConnection> connection,
                     std::thread::id holder)
    : pool_(pool), connection_(std::move(connection)), holder_(holder) {}

SftpLease::~SftpLease() { pool_.Return(std::move(connection_), holder_); }

Error SftpLease::Fail(std::string_view action, std::string_view path) {
  return connection_->RequestError(action, path);
}

const SftpOptions& SftpLease::pool_options() const { return pool_.options(); }

SftpPool::SftpPool(SftpOptions options)
    : options_(std::move(options)), watchdog_([this] { Watch(); }) {}

SftpPool::~SftpPool() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    changed_.NotifyAll();
  }
  watchdog_.join();
}

void SftpPool::Watch() {
  // A quarter of the timeout (at least 50 ms) between looks: a hung request ends within 1.25
  // times the timeout.
  auto period = std::max(std::chrono::milliseconds(50), options_.timeout / 4);
  MutexLock lock(mu_);
  while (!stopping_) {
    changed_.WaitUntil(mu_, std::chrono::steady_clock::now() + period);
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    for (SftpConnection* connection : all_) {
      int64_t since = connection->busy_since_ms();
      if (since != 0 && now - since > options_.timeout.count()) {
        connection->Cut(std::chrono::milliseconds(now - since));
      }
    }
  }
}

std::unique_ptr<SftpLease> SftpPool::Acquire() {
  const std::thread::id self = std::this_thread::get_id();
  {
    MutexLock lock(mu_);
    while (true) {
      if (!idle_.empty()) {
        std::unique_ptr<SftpConnection> connection = std::move(idle_.back());
        idle_.pop_back();
        ++held_[self];
        return std::make_unique<SftpLease>(*this, std::move(connection), self);
      }
      bool holds_one = held_.count(self) != 0;
      if ((open_ < options_.max_connections || holds_one) && handshakes_ < kConcurrentHandshakes) {
        break;
      }
      changed_.Wait(mu_);
    }
    ++open_;  // reserved now, connected below without the lock
    ++handshakes_;
    ++held_[self];
  }
  std::unique_ptr<SftpConnection> connection;
  try {
    connection = std::make_unique<SftpConnection>(options_);
    {
      // Watched from the start: a server may accept the connection and then hang in the login.
      MutexLock lock(mu_);
      all_.push_back(connection.get());
    }
    SftpConnection::Busy busy(*connection);
    connection->Open(options_);
  } catch (...) {
    MutexLock lock(mu_);
    if (connection) std::erase(all_, connection.get());
    --open_;
    --handshakes_;
    if (--held_[self] == 0) held_.erase(self);
    changed_.NotifyAll();
    throw;
  }
  {
    MutexLock lock(mu_);
    --handshakes_;
    changed_.NotifyAll();
  }
  return std::make_unique<SftpLease>(*this, std::move(connection), self);
}

void SftpPool::Return(std::unique_ptr<SftpConnection> connection, std::thread::id holder) {
  std::unique_ptr<SftpConnection> closing;
  {
    MutexLock lock(mu_);
    if (auto it = held_.find(holder); it != held_.end() && --it->second == 0) held_.erase(it);
    if (connection) {
      if (connection->alive() && open_ <= options_.max_connections) {
        idle_.push_back(std::move(connection));
      } else {
        // Broken, or one made beyond the bound for a thread that held another: closed.
        closing = std::move(connection);
        std::erase(all_, closing.get());
        --open_;
      }
    }
    changed_.NotifyAll();
  }
  // Closed outside the lock: a disconnect may wait on the network.
}

}  // namespace walnut::sftp
