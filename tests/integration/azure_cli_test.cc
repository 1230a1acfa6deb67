// The built binary with WALG_AZ_PREFIX against the azurite fixture: the st commands, the three
// ways to give credentials (a connection string with BlobEndpoint, the account and key settings, a
// SAS token), and a wrong key, a missing container and an unreachable
// endpoint each as one ERROR line and a non-zero exit well under 30 s. (wal_push_cli_test runs
// wal-push and wal-fetch, pitr_test and backup_delta_test their scenarios against azurite too.)

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/azurite_server.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// `st ls` and how long it took.
std::pair<CommandResult, std::chrono::milliseconds> TimedLs(const CliRunner& cli) {
  MeasuredRun run = RunMeasured(cli, "st ls");
  return {run.result, run.took};
}

void RoundTrip(CliRunner& cli) {
  std::string data = CompressibleBytes(3 << 20, 5) + RandomBytes(1 << 20, 6);
  fs::path src = cli.work().path() / "src.bin";
  WriteFile(src, data);
  auto put = cli.Run("st put " + ShellQuote(src.string()) + " dir/obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto ls = cli.Run("st ls -r");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_THAT(ls.out, HasSubstr("dir/obj.lz4"));
  fs::path dst = cli.work().path() / "copy.bin";
  auto get = cli.Run("st get dir/obj.lz4 " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(dst) == data);
  // Verified against the SHA-256 kept as blob metadata.
  EXPECT_THAT(get.err, Not(HasSubstr("could not be verified")));
  auto rm = cli.Run("st rm dir/obj.lz4");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  ls = cli.Run("st ls -r");
  EXPECT_THAT(ls.out, Not(HasSubstr("dir/obj")));
}

TEST(AzureCliTest, StRoundTripWithAConnectionString) {
  CliRunner cli;
  cli.UseStorage(TestStorage::kAzure, "st");
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  // Several blocks per object.
  cli.Set("WALG_AZURE_BUFFER_SIZE", "1048576");
  RoundTrip(cli);
  auto piped = cli.Run("st put -s piped/obj", "from standard input");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  auto cat = cli.Run("st cat --decrypt --decompress piped/obj.lz4");
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "from standard input");
}

TEST(AzureCliTest, StRoundTripWithAccountKeyAndSasSettings) {
  // AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_ACCESS_KEY, then with AZURE_STORAGE_SAS_TOKEN; the
  // path-style endpoint comes from a connection string holding only BlobEndpoint.
  for (bool sas : {false, true}) {
    CliRunner cli;
    cli.UseStorage(TestStorage::kAzure, sas ? "sas" : "key");
    cli.Set("AZURE_STORAGE_CONNECTION_STRING", "BlobEndpoint=" + Azurite().endpoint);
    cli.Set("AZURE_STORAGE_ACCOUNT", Azurite().account);
    if (sas) {
      cli.Set("AZURE_STORAGE_SAS_TOKEN", "?" + Azurite().sas);
    } else {
      cli.Set("AZURE_STORAGE_ACCESS_KEY", Azurite().key);
    }
    RoundTrip(cli);
  }
}

TEST(AzureCliTest, AWrongKeyIsOneLineNamingTheSetting) {
  CliRunner cli;
  cli.UseStorage(TestStorage::kAzure, "wrong");
  const std::string wrong = "d3Jvbmcga2V5IHdyb25nIGtleQ==";
  cli.Set("AZURE_STORAGE_ACCOUNT", Azurite().account);
  cli.Set("AZURE_STORAGE_ACCESS_KEY", wrong);
  cli.Set("AZURE_STORAGE_CONNECTION_STRING", "BlobEndpoint=" + Azurite().endpoint);
  auto [r, took] = TimedLs(cli);
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, {"HTTP 403", "check AZURE_STORAGE_ACCESS_KEY"});
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(wrong)));
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(AzureCliTest, AMissingContainerAndAnUnreachableEndpoint) {
  CliRunner cli;
  cli.UseStorage(TestStorage::kAzure, "nocontainer");
  cli.Set("WALG_AZ_PREFIX", "azure://no-such-container/x");
  auto [r, took] = TimedLs(cli);
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, {"container 'no-such-container' does not exist", "WALG_AZ_PREFIX"});
  EXPECT_LT(took, std::chrono::seconds(10));

  CliRunner down;
  down.UseStorage(TestStorage::kAzure, "down");
  down.Set("AZURE_STORAGE_CONNECTION_STRING",
           "AccountName=devstoreaccount1;AccountKey=" + Azurite().key +
               ";BlobEndpoint=http://127.0.0.1:1/devstoreaccount1");
  auto [d, took_down] = TimedLs(down);
  EXPECT_NE(d.exit_code, 0);
  ExpectOneErrorLine(d, {"check the Azure endpoint http://127.0.0.1:1/devstoreaccount1"});
  EXPECT_LT(took_down, std::chrono::seconds(30));
  EXPECT_THAT(d.err, Not(HasSubstr(Azurite().key)));
}

TEST(AzureCliTest, FlagsMaskTheSecrets) {
  CliRunner cli;
  cli.UseStorage(TestStorage::kAzure, "flags");
  cli.Set("AZURE_STORAGE_SAS_TOKEN", "sig=do-not-print-me");
  auto r = cli.Run("flags");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--walg-az-prefix"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("do-not-print-me")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(Azurite().key)));
}

TEST(AzureCliTest, MemoryOfAnUploadIsBoundedByTheBuffers) {
  // 64 MiB of random data with 4 MiB blocks, 4 buffers: at most 16 MiB of blocks held.
  CliRunner cli;
  cli.UseStorage(TestStorage::kAzure, "memory");
  cli.Set("WALG_COMPRESSION_METHOD", "none");
  cli.Set("WALG_AZURE_BUFFER_SIZE", "4194304");
  cli.Set("WALG_AZURE_MAX_BUFFERS", "4");
  std::string src = (cli.work().path() / "src.bin").string();
  std::string dst = (cli.work().path() / "dst.bin").string();
  ASSERT_EQ(std::system(("head -c 67108864 /dev/urandom > " + ShellQuote(src)).c_str()), 0);
  auto timed = [&](const std::string& args) {
    MeasuredRun run = RunMeasured(cli, args);
    EXPECT_EQ(run.result.exit_code, 0) << args << ": " << run.result.err;
    std::cout << "[ azurite  ] " << args.substr(0, 6) << " of 64 MiB: " << run.took.count()
              << " ms\n";
    return run.peak_rss_mib;
  };
  long put_mib = timed("st put " + ShellQuote(src) + " big");
  long get_mib = timed("st get big " + ShellQuote(dst));
  std::cout << "[ rss      ] st put " << put_mib << " MiB, st get " << get_mib << " MiB\n";
  // About 26 MiB without buffers (the binary, libcurl, the pipeline), plus 4 x 4 MiB of blocks
  // (measured 45 MiB); the download holds one 8 MiB chunk (measured 44 MiB).
  EXPECT_LT(put_mib, 52);
  EXPECT_LT(get_mib, 52);
  EXPECT_EQ(std::system(("cmp -s " + ShellQuote(src) + " " + ShellQuote(dst)).c_str()), 0);
}

}  // namespace
}  // namespace walnut::testing
