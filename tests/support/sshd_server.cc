#include "support/sshd_server.h"

#include <chrono>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "support/fixture_env.h"
#include "support/test_config.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

SshdServer Load() {
  FixtureEnv env("no SFTP test server", "WALNUT_IT_SSHD_ENV", WALNUT_TEST_SSHD_ENV_FILE,
                 "run the tests through ctest, whose sshd_up fixture "
                 "(tests/tools/sshd-server.sh, needs openssh-server) writes it");
  SshdServer server;
  server.host = env.Required("WALNUT_IT_SSH_HOST");
  server.port = std::stoi(env.Required("WALNUT_IT_SSH_PORT"));
  server.user = env.Required("WALNUT_IT_SSH_USER");
  server.key = env.Required("WALNUT_IT_SSH_KEY");
  server.other_key = env.Required("WALNUT_IT_SSH_OTHER_KEY");
  server.host_key_line = env.Required("WALNUT_IT_SSH_HOST_KEY_LINE");
  server.root = env.Required("WALNUT_IT_SSH_ROOT");
  server.password = env.Optional("WALNUT_IT_SSH_PASSWORD");
  return server;
}

}  // namespace

const SshdServer& Sshd() {
  static const SshdServer server = Load();
  return server;
}

std::string UniqueSftpRoot(std::string_view what) {
  return fmt::format("{}/{}", Sshd().root, UniqueName(what));
}

sftp::SftpOptions SftpTestOptions(std::string_view what, const std::string& known_hosts_dir) {
  const SshdServer& server = Sshd();
  sftp::SftpOptions o;
  o.host = server.host;
  o.port = server.port;
  o.user = server.user;
  o.private_key_path = server.key;
  o.known_hosts_path = known_hosts_dir + "/known_hosts";
  WriteFile(o.known_hosts_path, server.host_key_line + "\n");
  o.strict_host_key = true;
  o.root = UniqueSftpRoot(what);
  o.timeout = std::chrono::seconds(10);
  return o;
}

std::map<std::string, std::string> SftpCliSettings(std::string_view what,
                                                   const std::filesystem::path& dir) {
  const SshdServer& server = Sshd();
  std::filesystem::path key = dir / "ssh_key";
  WriteFile(key, ReadFile(server.key));
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::path known_hosts = dir / "known_hosts";
  WriteFile(known_hosts, server.host_key_line + "\n");
  return {
      {"WALG_SSH_PREFIX", fmt::format("ssh://{}{}", server.host, UniqueSftpRoot(what))},
      {"SSH_PORT", std::to_string(server.port)},
      {"SSH_USERNAME", server.user},
      {"SSH_PRIVATE_KEY_PATH", key.string()},
      {"WALNUT_SSH_KNOWN_HOSTS", known_hosts.string()},
      {"WALNUT_SSH_STRICT_HOST_KEY", "true"},
  };
}

}  // namespace walnut::testing
