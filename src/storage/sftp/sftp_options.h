#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/secret_string.h"

namespace walnut::sftp {

// Everything an SftpStorage needs to reach its server, resolved from the settings
// (sftp_settings.cc) or built by tests.
struct SftpOptions {
  std::string host;              // WALG_SSH_PREFIX's host: a name or an IPv4 address
  int port = 22;                 // SSH_PORT
  std::string user;              // SSH_USERNAME; "" for the local user's name, as ssh
  SecretString password;         // SSH_PASSWORD; empty: not tried
  std::string private_key_path;  // SSH_PRIVATE_KEY_PATH; empty: not tried
  // WALNUT_SSH_KNOWN_HOSTS: where the server's host key is checked and, on first use, recorded.
  std::string known_hosts_path;
  // WALNUT_SSH_STRICT_HOST_KEY: refuse a host whose key is not recorded yet, instead of
  // recording it (ssh's StrictHostKeyChecking=yes instead of accept-new).
  bool strict_host_key = false;
  // The directory objects live under: absolute ("/var/backups/pg"), or "" for the login
  // directory (WALG_SSH_PREFIX without a path), never ending with '/' (except "/").
  std::string root;
  // Connecting, authenticating and each SFTP request must answer within this time
  // (WALNUT_STORAGE_RETRY_TIMEOUT); a connection that stalls longer fails and is dropped.
  std::chrono::milliseconds timeout{30'000};
  // At most this many SSH connections at once (each one SFTP channel); a caller asking for one
  // more waits until another is returned. Idle ones are kept for reuse.
  size_t max_connections = 8;
};

}  // namespace walnut::sftp
