#include "storage/sftp/sftp_settings.h"

#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include "common/error.h"
#include "storage/sftp/sftp_storage.h"
#include "storage/storage_url.h"

// Names and aliases from WAL-G's pkg/storages/sh/configure.go. WAL-G reads each storage setting
// X as WALG_X, WALE_X and X (StorageKey).

namespace walnut::sftp {
namespace {

using K = SettingKind;

constexpr std::string_view kDefaultKnownHosts = "~/.ssh/known_hosts";

std::string HomeDirectory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "";
}

std::string ExpandHome(const Config& config, std::string_view setting, std::string path) {
  if (path != "~" && !path.starts_with("~/")) return path;
  std::string home = HomeDirectory();
  if (home.empty()) {
    config.ThrowInvalid(setting, fmt::format("is {}, but the home directory is unknown (no "
                                             "HOME); give an absolute path",
                                             path));
  }
  return home + path.substr(1);
}

std::string OptionalString(const Config& config, std::string_view name) {
  return config.Has(name) ? config.GetString(name) : std::string();
}

}  // namespace

std::span<const SettingSpec> SftpSettingSpecs() {
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_SSH_PREFIX", K::kString,
                    "SFTP storage, ssh://host/path (an absolute path on the server)")
          .Alias("WALE_SSH_PREFIX")
          .Implemented(),
      DefineSetting("SSH_PORT", K::kInt, "SFTP server port")
          .StorageKey("SSH_PORT")
          .Default("22")
          .Implemented(),
      DefineSetting("SSH_USERNAME", K::kString, "SFTP user (default: the local user's name)")
          .StorageKey("SSH_USERNAME")
          .Implemented(),
      DefineSetting("SSH_PASSWORD", K::kString, "SFTP password")
          .StorageKey("SSH_PASSWORD")
          .Secret()
          .Implemented(),
      DefineSetting("SSH_PRIVATE_KEY_PATH", K::kString,
                    "SFTP private key file (OpenSSH or PEM format, without a passphrase)")
          .StorageKey("SSH_PRIVATE_KEY_PATH")
          .Implemented(),
      DefineSetting("WALNUT_SSH_KNOWN_HOSTS", K::kString,
                    "known_hosts file the SFTP server's host key is checked against; an unknown "
                    "host's key is recorded there on first use")
          .Default(kDefaultKnownHosts)
          .Implemented(),
      DefineSetting("WALNUT_SSH_STRICT_HOST_KEY", K::kBool,
                    "refuse an SFTP server whose host key is not in the known_hosts file yet, "
                    "instead of recording it")
          .Default("false")
          .Implemented(),
      DefineSetting("WALNUT_SSH_MAX_CONNECTIONS", K::kInt,
                    "SSH connections to the SFTP server at most (parallel transfers)")
          .Default("8")
          .Implemented(),
      DefineSetting("SSH_JUMP_HOST", K::kString, "SSH jump host")
          .StorageKey("SSH_JUMP_HOST")
          .Refused("jump hosts are not supported by walnut yet; reach the SFTP server directly "
                   "(an SSH tunnel with a local port forward works: set SSH_PORT to it)"),
      DefineSetting("SSH_JUMP_PORT", K::kString, "SSH jump host port")
          .StorageKey("SSH_JUMP_PORT")
          .Refused("jump hosts are not supported by walnut yet; reach the SFTP server directly "
                   "(an SSH tunnel with a local port forward works: set SSH_PORT to it)"),
  };
  return specs;
}

SftpOptions SftpOptionsFromConfig(const Config& config, const Settings& common) {
  SftpOptions o;
  std::string_view setting = config.SpelledName("WALG_SSH_PREFIX");
  std::string prefix = config.GetString("WALG_SSH_PREFIX");
  StorageUrl url = ParseStorageUrl(setting, prefix, "ssh");
  o.host = std::move(url.host);
  // As WAL-G, the URL's path is the directory on the server, absolute; with no path at all the
  // login directory.
  size_t host_end = prefix.find('/', prefix.find("://") + 3);
  o.root = host_end == std::string::npos ? std::string() : "/" + url.root;

  o.port = static_cast<int>(config.GetInt("SSH_PORT", 1, 65535));
  o.user = OptionalString(config, "SSH_USERNAME");
  o.password = SecretString(OptionalString(config, "SSH_PASSWORD"));
  o.private_key_path =
      ExpandHome(config, "SSH_PRIVATE_KEY_PATH", OptionalString(config, "SSH_PRIVATE_KEY_PATH"));
  o.known_hosts_path =
      ExpandHome(config, "WALNUT_SSH_KNOWN_HOSTS", config.GetString("WALNUT_SSH_KNOWN_HOSTS"));
  if (o.known_hosts_path.empty()) {
    config.ThrowInvalid("WALNUT_SSH_KNOWN_HOSTS",
                        "is empty; give the known_hosts file (default ~/.ssh/known_hosts)");
  }
  o.strict_host_key = config.GetBool("WALNUT_SSH_STRICT_HOST_KEY");
  o.max_connections = static_cast<size_t>(config.GetInt("WALNUT_SSH_MAX_CONNECTIONS", 1, 64));
  o.timeout = common.storage_retry_timeout;
  return o;
}

std::unique_ptr<Storage> OpenSftpStorage(const Config& config, const Settings& common) {
  return std::make_unique<SftpStorage>(SftpOptionsFromConfig(config, common));
}

}  // namespace walnut::sftp
