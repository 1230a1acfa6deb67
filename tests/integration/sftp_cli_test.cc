// The built binary with WALG_SSH_PREFIX against the sshd fixture's OpenSSH server: the st
// commands, wal-push and wal-fetch, and each way of failing to connect as one ERROR line, a
// non-zero exit and well under 30 s. (wal_push_cli_test, pitr_test and backup_delta_test run
// their scenarios over SFTP too.)

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/sshd_server.h"
#include "support/test_util.h"
#include "support/timed.h"
#include "support/wal_segments.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(SftpCliTest, StPutGetLsRmRoundTripEncrypted) {
  CliRunner cli;
  cli.UseSftpStorage("st");
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  std::string data = CompressibleBytes(3 << 20, 5) + RandomBytes(1 << 20, 6);
  fs::path src = cli.work().path() / "src.bin";
  WriteFile(src, data);

  auto put = cli.Run("st put " + ShellQuote(src.string()) + " dir/obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto ls = cli.Run("st ls -r");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_THAT(ls.out, HasSubstr("dir/obj.lz4"));
  EXPECT_THAT(ls.out, Not(HasSubstr("walnut-meta")));
  EXPECT_THAT(ls.out, Not(HasSubstr("walnut-tmp")));

  fs::path dst = cli.work().path() / "copy.bin";
  auto get = cli.Run("st get dir/obj.lz4 " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ReadFile(dst), data);
  // Verified against the SHA-256 kept in the sidecar: no "could not be verified" warning.
  EXPECT_THAT(get.err, Not(HasSubstr("could not be verified")));

  auto piped = cli.Run("st put -s piped/obj", "from standard input");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  auto cat = cli.Run("st cat --decrypt --decompress piped/obj.lz4");
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "from standard input");

  auto rm = cli.Run("st rm dir/obj.lz4");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  ls = cli.Run("st ls -r");
  EXPECT_THAT(ls.out, Not(HasSubstr("dir/obj")));
  EXPECT_THAT(ls.out, HasSubstr("piped/obj.lz4"));
}

TEST(SftpCliTest, WalPushThenWalFetch) {
  CliRunner cli;
  cli.UseSftpStorage("wal");
  fs::path pg_wal = cli.work().path() / "pg_wal";
  fs::path segment = WriteFakeWalSegment(pg_wal, {1, 5}, 7000000000000000001ull, true, 16u << 20);
  auto push = cli.Run("wal-push " + ShellQuote(segment.string()));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  fs::path fetched = cli.work().path() / "fetched";
  auto fetch =
      cli.Run("wal-fetch " + segment.filename().string() + " " + ShellQuote(fetched.string()));
  ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
  EXPECT_TRUE(ReadFile(fetched) == ReadFile(segment));
  auto missing = cli.Run("wal-fetch 000000010000000000000009 " +
                         ShellQuote((cli.work().path() / "none").string()));
  EXPECT_EQ(missing.exit_code, 74) << missing.err;
}

TEST(SftpCliTest, FlagsShowTheSettingsWithThePasswordMasked) {
  CliRunner cli;
  cli.UseSftpStorage("flags");
  cli.Set("SSH_PASSWORD", "do-not-print-me");
  auto r = cli.Run("flags");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--walg-ssh-prefix"));
  EXPECT_THAT(r.out, HasSubstr("--walnut-ssh-known-hosts"));
  EXPECT_THAT(r.out, HasSubstr("--ssh-password                                      ********"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("do-not-print-me")));
}

// `st put -s` reading from a producer that stays open gets `signal` after 3 MB.
CommandResult InterruptedPut(const CliRunner& cli, const std::string& signal) {
  fs::path fifo = cli.work().path() / "fifo";
  std::string f = ShellQuote(fifo.string());
  return RunCommand("mkfifo " + f + "; " + cli.CommandLine("st put -s obj") + " < " + f +
                    " & pid=$!; exec 3>" + f + "; head -c 3000000 /dev/urandom >&3; sleep 1; " +
                    "kill -" + signal + " $pid; sleep 0.5; wait $pid; rc=$?; exec 3>&-; exit $rc");
}

// The files below the storage root on the server (the fixture's server is local).
std::vector<std::string> ServerFiles(const CliRunner& cli) {
  std::string prefix = cli.variables().at("WALG_SSH_PREFIX");
  fs::path root = prefix.substr(prefix.find('/', std::string("ssh://").size()));
  std::vector<std::string> names;
  if (!fs::exists(root)) return names;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  return names;
}

TEST(SftpCliTest, AnInterruptedUploadStoresNothingAndAKilledOneLeavesOnlyATemporaryFile) {
  CliRunner cli;
  cli.UseSftpStorage("interrupted");
  auto term = InterruptedPut(cli, "TERM");
  EXPECT_EQ(term.exit_code, 1) << term.err;
  ExpectOneErrorLine(term, "interrupted");
  EXPECT_TRUE(ServerFiles(cli).empty());

  auto killed = InterruptedPut(cli, "KILL");
  EXPECT_NE(killed.exit_code, 0);
  auto ls = cli.Run("st ls -r");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_THAT(ls.out, Not(HasSubstr("obj")));
  std::vector<std::string> left = ServerFiles(cli);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_THAT(left[0], HasSubstr(".obj.lz4.walnut-tmp-"));
}

class SftpCliFailureTest : public ::testing::Test {
 protected:
  void SetUp() override { cli_.UseSftpStorage("fail"); }

  // `st ls`: one ERROR line naming each of `must_contain`, a non-zero exit, within 30 s.
  void ExpectFailure(std::initializer_list<std::string_view> must_contain) {
    last_ = ExpectFailsInOneLineInTime(cli_, "st ls", must_contain);
  }

  CliRunner cli_;
  CommandResult last_;
};

TEST_F(SftpCliFailureTest, WrongPassword) {
  if (Sshd().password.empty()) {
    GTEST_SKIP() << "the sshd fixture ran unprivileged and cannot check passwords (run as root)";
  }
  cli_.Unset("SSH_PRIVATE_KEY_PATH");
  cli_.Set("SSH_PASSWORD", "not-" + Sshd().password);
  ExpectFailure({"refused the login", "the password", "SSH_PASSWORD"});
  EXPECT_THAT(last_.err, Not(HasSubstr("not-" + Sshd().password)));
}

TEST_F(SftpCliFailureTest, WrongKey) {
  fs::path other = cli_.work().path() / "other_key";
  WriteFile(other, ReadFile(Sshd().other_key));
  fs::permissions(other, fs::perms::owner_read | fs::perms::owner_write);
  cli_.Set("SSH_PRIVATE_KEY_PATH", other.string());
  ExpectFailure({"refused the login", other.string()});
}

TEST_F(SftpCliFailureTest, ChangedHostKey) {
  std::string name = Sshd().host_key_line.substr(0, Sshd().host_key_line.find(' '));
  fs::path known_hosts = cli_.work().path() / "changed_known_hosts";
  WriteFile(known_hosts, name + " " + ReadFile(Sshd().other_key + ".pub"));
  cli_.Set("WALNUT_SSH_KNOWN_HOSTS", known_hosts.string());
  cli_.Set("WALNUT_SSH_STRICT_HOST_KEY", "false");
  ExpectFailure({"host key", "changed", known_hosts.string()});
}

TEST_F(SftpCliFailureTest, UnreachableHost) {
  // A port on loopback nobody listens on: refused at once.
  cli_.Set("SSH_PORT", "1");
  ExpectFailure({"cannot connect", "127.0.0.1:1"});
}

TEST_F(SftpCliFailureTest, UnknownHostUnderStrictChecking) {
  fs::path known_hosts = cli_.work().path() / "empty_known_hosts";
  cli_.Set("WALNUT_SSH_KNOWN_HOSTS", known_hosts.string());
  ExpectFailure({"WALNUT_SSH_STRICT_HOST_KEY", "ssh-keyscan"});
}

TEST_F(SftpCliFailureTest, AJumpHostIsRefused) {
  cli_.Set("SSH_JUMP_HOST", "bastion.example");
  ExpectFailure({"SSH_JUMP_HOST"});
}

}  // namespace
}  // namespace walnut::testing
