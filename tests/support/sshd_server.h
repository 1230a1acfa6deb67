#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/sftp/sftp_options.h"

namespace walnut::testing {

// The OpenSSH server of the sshd fixture (tests/tools/sshd-server.sh, started by ctest as
// sshd_up), as its DIR/env describes it.
struct SshdServer {
  std::string host;  // 127.0.0.1
  int port = 0;
  std::string user;           // whom the server runs as and lets in
  std::string key;            // a private key it accepts
  std::string other_key;      // a private key it does not accept
  std::string host_key_line;  // its host key as a known_hosts line
  std::string root;           // a directory the user owns, for storage roots
  std::string password;       // the user's password; "" when the fixture ran unprivileged
};

// The fixture's server. Throws std::runtime_error naming the env file when the fixture did not
// run (outside ctest, or without sshd installed): a missing server fails, never skips.
const SshdServer& Sshd();

// A directory below the server's root that no other test or run shares.
std::string UniqueSftpRoot(std::string_view what);

// Options for an SftpStorage on the fixture's server under a fresh root, logging in with the key
// and checking the host key against a known_hosts file (in `known_hosts_dir`) that holds it.
sftp::SftpOptions SftpTestOptions(std::string_view what, const std::string& known_hosts_dir);

// The settings of a walnut command on the fixture's server under a fresh root: WALG_SSH_PREFIX,
// SSH_PORT, SSH_USERNAME, SSH_PRIVATE_KEY_PATH (a copy of the key in `dir`, mode 0600, so that
// whoever owns `dir` can read it), and WALNUT_SSH_KNOWN_HOSTS (a file in `dir` holding the host
// key) with WALNUT_SSH_STRICT_HOST_KEY=true.
std::map<std::string, std::string> SftpCliSettings(std::string_view what,
                                                   const std::filesystem::path& dir);

}  // namespace walnut::testing
