// WALG_SSH_PREFIX and the SSH_* settings as WAL-G reads them (pkg/storages/sh/configure.go).

#include "storage/sftp/sftp_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "config/config.h"
#include "config/settings.h"

namespace walnut::sftp {
namespace {

using ::testing::HasSubstr;

SftpOptions Load(Environment env) {
  Config config({}, env);
  return SftpOptionsFromConfig(config, LoadSettings(config));
}

TEST(SftpSettingsTest, ThePrefixNamesTheHostAndAnAbsoluteDirectory) {
  SftpOptions o = Load({{"WALG_SSH_PREFIX", "ssh://backup.example/var/backups/pg/"},
                        {"SSH_USERNAME", "walg"},
                        {"SSH_PRIVATE_KEY_PATH", "/etc/walnut/id_ed25519"},
                        {"HOME", "/home/me"}});
  EXPECT_EQ(o.host, "backup.example");
  EXPECT_EQ(o.root, "/var/backups/pg");
  EXPECT_EQ(o.port, 22);
  EXPECT_EQ(o.user, "walg");
  EXPECT_EQ(o.private_key_path, "/etc/walnut/id_ed25519");
  EXPECT_FALSE(o.strict_host_key);
  EXPECT_EQ(o.max_connections, 8u);
  EXPECT_EQ(o.timeout, std::chrono::seconds(30));
}

TEST(SftpSettingsTest, WithoutAPathTheRootIsTheLoginDirectory) {
  EXPECT_EQ(Load({{"WALG_SSH_PREFIX", "ssh://host"}}).root, "");
  EXPECT_EQ(Load({{"WALG_SSH_PREFIX", "ssh://host/"}}).root, "/");
}

TEST(SftpSettingsTest, WalgAndWaleSpellingsAndTheWalnutSettings) {
  SftpOptions o = Load({{"WALE_SSH_PREFIX", "ssh://h/x"},
                        {"WALG_SSH_PORT", "2222"},
                        {"WALG_SSH_PASSWORD", "pw"},
                        {"WALNUT_SSH_KNOWN_HOSTS", "/etc/walnut/known_hosts"},
                        {"WALNUT_SSH_STRICT_HOST_KEY", "true"},
                        {"WALNUT_SSH_MAX_CONNECTIONS", "3"},
                        {"WALNUT_STORAGE_RETRY_TIMEOUT", "5s"}});
  EXPECT_EQ(o.port, 2222);
  EXPECT_EQ(o.password.Reveal(), "pw");
  EXPECT_EQ(o.known_hosts_path, "/etc/walnut/known_hosts");
  EXPECT_TRUE(o.strict_host_key);
  EXPECT_EQ(o.max_connections, 3u);
  EXPECT_EQ(o.timeout, std::chrono::seconds(5));
}

TEST(SftpSettingsTest, TheKnownHostsFileDefaultsToTheUsersOwn) {
  // Config reads HOME from its environment; the expansion uses the process's HOME.
  SftpOptions o = Load({{"WALG_SSH_PREFIX", "ssh://h/x"}});
  EXPECT_TRUE(o.known_hosts_path.ends_with("/.ssh/known_hosts")) << o.known_hosts_path;
  EXPECT_NE(o.known_hosts_path.front(), '~');
}

TEST(SftpSettingsTest, BadValuesNameTheSetting) {
  try {
    Load({{"WALG_SSH_PREFIX", "ssh://h/x"}, {"SSH_PORT", "70000"}});
    FAIL() << "accepted port 70000";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("SSH_PORT"));
  }
  try {
    Load({{"WALG_SSH_PREFIX", "sftp://h/x"}});
    FAIL() << "accepted another scheme";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("WALG_SSH_PREFIX"));
  }
  try {
    Load({{"WALG_SSH_PREFIX", "ssh://user@h/x"}});
    FAIL() << "accepted a user in the URL";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("WALG_SSH_PREFIX"));
  }
}

}  // namespace
}  // namespace walnut::sftp
