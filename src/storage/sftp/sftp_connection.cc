#include "storage/sftp/sftp_connection.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "common/mutex.h"

namespace walnut::sftp {
namespace {

// Checking and recording host keys in the known_hosts file happens one connection at a time, so
// that parallel first connections record the key once.
Mutex& KnownHostsMutex() {
  static Mutex mu;
  return mu;
}

struct KeyDeleter {
  void operator()(ssh_key key) const { Ssh().ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyDeleter>;

// "SHA256:..." of the server's host key, as ssh prints it; "" when unavailable.
std::string ServerKeyFingerprint(ssh_session session) {
  ssh_key raw = nullptr;
  if (Ssh().ssh_get_server_publickey(session, &raw) != SSH_OK) return "";
  KeyPtr key(raw);
  unsigned char* hash = nullptr;
  size_t hash_len = 0;
  if (Ssh().ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) != 0) {
    return "";
  }
  char* text = Ssh().ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
  Ssh().ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) return "";
  std::string fingerprint = text;
  Ssh().ssh_string_free_char(text);
  return fingerprint;
}

// The known_hosts name of the server: "host", or "[host]:port" off port 22 (as ssh writes it).
std::string KnownHostsName(const SftpOptions& options) {
  return options.port == 22 ? options.host : fmt::format("[{}]:{}", options.host, options.port);
}

void SetOption(ssh_session session, ssh_options_e option, const void* value,
               std::string_view what) {
  if (Ssh().ssh_options_set(session, option, value) != SSH_OK) {
    throw Error(ErrorCode::kInternal, fmt::format("libssh refused the option {}: {}", what,
                                                  Ssh().ssh_get_error(session)));
  }
}

// Dead peers and silent network failures end a blocked request instead of hanging it: keepalive
// probes while waiting for an answer, and a bound on unacknowledged data.
void BoundTcpWaits(ssh_session session, std::chrono::milliseconds timeout) {
  int fd = Ssh().ssh_get_fd(session);
  if (fd < 0) return;
  int on = 1;
  int idle = static_cast<int>(std::max<int64_t>(1, timeout.count() / 3000));
  int interval = idle;
  int probes = 3;
  auto user_timeout = static_cast<unsigned>(std::max<int64_t>(1000, timeout.count()));
  // Best effort: a failure leaves the kernel's defaults, which only wait longer.
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

}  // namespace

std::string ServerName(const SftpOptions& options) {
  return fmt::format("{}:{}", options.host, options.port);
}

SftpConnection::SftpConnection(const SftpOptions& options) : server_(ServerName(options)) {
  session_ = Ssh().ssh_new();
  if (session_ == nullptr) throw Error(ErrorCode::kInternal, "libssh: cannot create a session");
  try {
    Configure(options);
  } catch (...) {
    Ssh().ssh_free(session_);
    throw;
  }
}

void SftpConnection::Configure(const SftpOptions& options) {
  {
    SetOption(session_, SSH_OPTIONS_HOST, options.host.c_str(), "host");
    unsigned int port = static_cast<unsigned int>(options.port);
    SetOption(session_, SSH_OPTIONS_PORT, &port, "port");
    if (!options.user.empty()) SetOption(session_, SSH_OPTIONS_USER, options.user.c_str(), "user");
    // Only our settings count, as with WAL-G: no ~/.ssh/config, no default identities.
    int no = 0;
    SetOption(session_, SSH_OPTIONS_PROCESS_CONFIG, &no, "process config");
    SetOption(session_, SSH_OPTIONS_KNOWNHOSTS, options.known_hosts_path.c_str(), "known hosts");
    // A third of the request budget: a silent host is tried twice within it (WithRetries).
    int64_t connect_ms = std::max<int64_t>(1000, options.timeout.count() / 3);
    long seconds = static_cast<long>(connect_ms / 1000);
    long usec = static_cast<long>(connect_ms % 1000) * 1000;
    SetOption(session_, SSH_OPTIONS_TIMEOUT, &seconds, "timeout");
    SetOption(session_, SSH_OPTIONS_TIMEOUT_USEC, &usec, "timeout");
    int nodelay = 1;
    SetOption(session_, SSH_OPTIONS_NODELAY, &nodelay, "nodelay");
  }
}

void SftpConnection::Open(const SftpOptions& options) {
  try {
    if (Ssh().ssh_connect(session_) != SSH_OK) {
      throw Error(ErrorCode::kNetwork,
                  fmt::format("ssh: cannot connect to {}: {}; check the host in "
                              "WALG_SSH_PREFIX, SSH_PORT and that sshd runs there",
                              server_, Ssh().ssh_get_error(session_)),
                  /*retryable=*/true);
    }
    BoundTcpWaits(session_, options.timeout);
    CheckHostKey(options);
    Authenticate(options);

    sftp_ = Ssh().sftp_new(session_);
    if (sftp_ == nullptr || Ssh().sftp_init(sftp_) != SSH_OK) {
      // A refusal and a server that stopped answering look alike here (libssh's channel and
      // subsystem requests time out with an empty message): retried as a network failure.
      throw Error(ErrorCode::kNetwork,
                  fmt::format("ssh: {} accepted the login but did not start the SFTP subsystem "
                              "({}); check `Subsystem sftp` in its sshd_config",
                              server_, Ssh().ssh_get_error(session_)),
                  /*retryable=*/true);
    }
  } catch (const Error& e) {
    // Cut by the pool's watchdog (a server that answered the connection, then nothing).
    if (int64_t waited = cut_after_ms_.load(); waited != 0) {
      throw Error(ErrorCode::kNetwork,
                  fmt::format("ssh: {} stopped answering while logging in (no answer within {} s)",
                              server_, (waited + 999) / 1000),
                  /*retryable=*/true);
    }
    throw;
  }
}

SftpConnection::~SftpConnection() {
  if (sftp_ != nullptr) Ssh().sftp_free(sftp_);
  Ssh().ssh_disconnect(session_);
  Ssh().ssh_free(session_);
}

void SftpConnection::CheckHostKey(const SftpOptions& options) {
  MutexLock lock(KnownHostsMutex());
  const std::string& file = options.known_hosts_path;
  std::string name = KnownHostsName(options);
  switch (Ssh().ssh_session_is_known_server(session_)) {
    case SSH_KNOWN_HOSTS_OK:
      return;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("ssh: the host key of {} changed: it now shows {}, which is not the "
                              "key recorded in {} (a man-in-the-middle, or a reinstalled server); "
                              "if the change is expected, remove the old key with `ssh-keygen -R "
                              "'{}' -f {}` and connect again",
                              server_, ServerKeyFingerprint(session_), file, name, file));
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      break;
    case SSH_KNOWN_HOSTS_ERROR:
    default:
      throw Error(ErrorCode::kIo, fmt::format("ssh: cannot check the host key of {} against {}: "
                                              "{}; check WALNUT_SSH_KNOWN_HOSTS",
                                              server_, file, Ssh().ssh_get_error(session_)));
  }
  std::string fingerprint = ServerKeyFingerprint(session_);
  if (options.strict_host_key) {
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("ssh: the host key of {} ({}) is not in {} and "
                            "WALNUT_SSH_STRICT_HOST_KEY=true refuses unknown hosts; record it "
                            "with `ssh-keyscan -p {} {} >> {}` after checking the fingerprint",
                            server_, fingerprint, file, options.port, options.host, file));
  }
  if (Ssh().ssh_session_update_known_hosts(session_) != SSH_OK) {
    throw Error(ErrorCode::kIo, fmt::format("ssh: cannot record the host key of {} in {}: {}; "
                                            "check WALNUT_SSH_KNOWN_HOSTS",
                                            server_, file, Ssh().ssh_get_error(session_)));
  }
  spdlog::warn("ssh: first connection to {}: its host key {} was recorded in {}", server_,
               fingerprint, file);
}

bool SftpConnection::Accepted(int rc) const {
  if (rc == SSH_AUTH_SUCCESS) return true;
  if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) return false;
  // SSH_AUTH_AGAIN: no answer within the session's timeout (blocking mode); SSH_AUTH_ERROR: the
  // connection failed. Neither says anything about the credentials.
  throw Error(ErrorCode::kNetwork,
              fmt::format("ssh: {} {} during the login: {}", server_,
                          rc == SSH_AUTH_AGAIN ? "stopped answering" : "failed",
                          Ssh().ssh_get_error(session_)),
              /*retryable=*/true);
}

void SftpConnection::Authenticate(const SftpOptions& options) {
  if (options.private_key_path.empty() && options.password.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("ssh: no credentials for {}: set SSH_PRIVATE_KEY_PATH (a private key "
                            "file) or SSH_PASSWORD",
                            server_));
  }
  std::vector<std::string> tried;
  if (!options.private_key_path.empty()) {
    ssh_key raw = nullptr;
    if (Ssh().ssh_pki_import_privkey_file(options.private_key_path.c_str(), nullptr, nullptr,
                                          nullptr, &raw) != SSH_OK) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("SSH_PRIVATE_KEY_PATH: cannot read a private key from {} (missing, "
                              "unreadable, not a key, or protected by a passphrase, which is not "
                              "supported)",
                              options.private_key_path));
    }
    KeyPtr key(raw);
    if (Accepted(Ssh().ssh_userauth_publickey(session_, nullptr, key.get()))) return;
    tried.push_back(fmt::format("the key {}", options.private_key_path));
  }
  if (!options.password.empty()) {
    if (Accepted(
            Ssh().ssh_userauth_password(session_, nullptr, options.password.Reveal().c_str()))) {
      return;
    }
    tried.push_back("the password");
  }
  char* user = nullptr;
  Ssh().ssh_options_get(session_, SSH_OPTIONS_USER, &user);
  std::string user_name = user != nullptr ? user : "";
  Ssh().ssh_string_free_char(user);
  throw Error(ErrorCode::kPermissionDenied,
              fmt::format("ssh: {} refused the login of user '{}' (tried {}); check SSH_USERNAME, "
                          "SSH_PRIVATE_KEY_PATH and SSH_PASSWORD",
                          server_, user_name, fmt::join(tried, " and ")));
}

namespace {

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SftpConnection::Busy::Busy(SftpConnection& connection)
    : connection_(connection), outermost_(connection.busy_since_ms_.load() == 0) {
  // Never 0 while busy, whatever the clock's epoch.
  if (outermost_) connection_.busy_since_ms_.store(std::max<int64_t>(1, SteadyNowMs()));
}

SftpConnection::Busy::~Busy() {
  if (outermost_) connection_.busy_since_ms_.store(0);
}

void SftpConnection::Cut(std::chrono::milliseconds waited) {
  cut_after_ms_.store(std::max<int64_t>(1, waited.count()));
  int fd = Ssh().ssh_get_fd(session_);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

bool SftpConnection::alive() const {
  return !broken_ && cut_after_ms_.load() == 0 && Ssh().ssh_is_connected(session_) != 0 &&
         LastStatus() != -1;
}

int SftpConnection::LastStatus() const {
  if (sftp_ == nullptr || Ssh().ssh_is_connected(session_) == 0) return -1;
  int status = Ssh().sftp_get_error(sftp_);
  if (status == SSH_FX_NO_CONNECTION || status == SSH_FX_CONNECTION_LOST) return -1;
  return status;
}

Error SftpConnection::RequestError(std::string_view action, std::string_view path) const {
  int status = LastStatus();
  switch (status) {
    case SSH_FX_NO_SUCH_FILE:
    case SSH_FX_NO_SUCH_PATH:
      return Error(ErrorCode::kNotFound,
                   fmt::format("{} {} on {}: no such file", action, path, server_));
    case SSH_FX_PERMISSION_DENIED:
    case SSH_FX_WRITE_PROTECT:
      return Error(ErrorCode::kPermissionDenied,
                   fmt::format("{} {} on {}: permission denied; check that the SSH user may "
                               "write below the WALG_SSH_PREFIX directory",
                               action, path, server_));
    case -1:
      if (int64_t waited = cut_after_ms_.load(); waited != 0) {
        return Error(ErrorCode::kNetwork,
                     fmt::format("{} {} on {}: no answer within {} s, the connection was dropped",
                                 action, path, server_, (waited + 999) / 1000),
                     /*retryable=*/true);
      }
      return Error(ErrorCode::kNetwork,
                   fmt::format("{} {} on {}: the connection failed: {}", action, path, server_,
                               Ssh().ssh_get_error(session_)),
                   /*retryable=*/true);
    default:
      return Error(ErrorCode::kIo,
                   fmt::format("{} {} on {}: the server answered SFTP status {} "
                               "({})",
                               action, path, server_, status, Ssh().ssh_get_error(session_)));
  }
}

}  // namespace walnut::sftp
