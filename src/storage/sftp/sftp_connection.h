#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "storage/sftp/sftp_options.h"
#include "storage/sftp/ssh_api.h"

namespace walnut::sftp {

// "host:port" as messages name the server.
std::string ServerName(const SftpOptions& options);

// One SSH connection with one SFTP channel on it: connected, the host key checked against the
// known_hosts file (recorded there on first use unless strict), authenticated with the key and/or
// the password. libssh sessions are not thread-safe: one thread at a time uses a connection (the
// pool hands each to one lease).
class SftpConnection {
 public:
  // A session set up for the server; nothing is sent before Open().
  explicit SftpConnection(const SftpOptions& options);
  // Connects, checks the host key, logs in and starts SFTP; throws Error with one line naming
  // the server and what to do: kNetwork (retryable) when it cannot be reached or stops answering,
  // kPermissionDenied when no credential is accepted, kFailedPrecondition for a host key that
  // changed or is unknown under strict checking, kInvalidArgument for an unreadable key file or
  // no credentials at all. Called once; the connection is usable only after it returned.
  void Open(const SftpOptions& options);
  ~SftpConnection();
  SftpConnection(const SftpConnection&) = delete;
  SftpConnection& operator=(const SftpConnection&) = delete;

  sftp_session sftp() const { return sftp_; }
  ssh_session session() const { return session_; }

  // Whether the connection still works (after a failed request: whether it may be reused).
  bool alive() const;
  // Makes alive() false: the connection's state is in doubt (a request of our own went wrong).
  void MarkBroken() { broken_ = true; }
  // Counts the requests sftp_raw.h sent on this connection (their ids).
  uint32_t& raw_requests() { return raw_requests_; }

  // The Error for a failed SFTP request on `path` (`action`: "cannot open"): kNotFound,
  // kPermissionDenied, kIo for the server's refusals; kNetwork (retryable) when the connection
  // failed.
  Error RequestError(std::string_view action, std::string_view path) const;
  // The SFTP status code of the last failed request (SSH_FX_*), or -1 when the connection
  // itself failed.
  int LastStatus() const;

  // The watchdog's side (SftpPool): libssh waits for an answer without a time limit, so a
  // request to a server that keeps the connection open but never answers would hang. A Busy
  // scope marks the time the connection's user started waiting; the pool's watchdog cuts a
  // connection busy for longer than the timeout (shutdown of its socket: libssh's wait returns,
  // the request fails, and RequestError says that no answer came).
  class Busy {
   public:
    explicit Busy(SftpConnection& connection);
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    SftpConnection& connection_;
    bool outermost_;
  };
  // Milliseconds on the steady clock since the outermost Busy scope began; 0 when not busy.
  int64_t busy_since_ms() const { return busy_since_ms_.load(); }
  // Shuts the socket down (thread-safe: called by the watchdog while the user waits).
  void Cut(std::chrono::milliseconds waited);

 private:
  void Configure(const SftpOptions& options);
  void CheckHostKey(const SftpOptions& options);
  void Authenticate(const SftpOptions& options);
  // Whether a ssh_userauth_* result means the credential was accepted (true) or refused (false);
  // throws kNetwork (retryable) for a timeout or a failed connection.
  bool Accepted(int rc) const;

  std::string server_;
  ssh_session session_ = nullptr;
  sftp_session sftp_ = nullptr;
  bool broken_ = false;
  uint32_t raw_requests_ = 0;
  std::atomic<int64_t> busy_since_ms_{0};
  std::atomic<int64_t> cut_after_ms_{0};  // how long it had waited when cut; 0: not cut
};

}  // namespace walnut::sftp
