// The `st` commands and the command-line contract (exit codes, one-line errors, no secrets in
// output), run as an operator runs them: the built binary, a local directory or the fixture's
// s3rver as storage.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/test_util.h"
#include "support/walnut_config.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string method;
  bool encrypt;
};

class StRoundTripTest : public ::testing::TestWithParam<Case> {};

TEST_P(StRoundTripTest, PutGetCatThroughLocalDirectory) {
  const Case& c = GetParam();
  CliRunner cli;
  cli.UseFileStorage();
  cli.Set("WALG_COMPRESSION_METHOD", c.method);
  if (c.encrypt) {
    cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
    cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  }
  std::string data = CompressibleBytes(3 << 20, 5) + RandomBytes(1 << 20, 6);
  fs::path src = cli.work().path() / "src.bin";
  WriteFile(src, data);

  auto put = cli.Run("st put " + ShellQuote(src.string()) + " dir/obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  std::string object = "dir/obj" + ExtensionOf(c.method);
  fs::path stored = fs::path(cli.storage_dir()) / object;
  ASSERT_TRUE(fs::exists(stored)) << object;
  std::string raw = ReadFile(stored);
  if (c.method != "none" || c.encrypt) {
    EXPECT_NE(raw, data);
  }
  if (c.encrypt) {
    EXPECT_EQ(raw.find(data.substr(0, 64)), std::string::npos);
  }

  fs::path dst = cli.work().path() / "copy.bin";
  auto get = cli.Run("st get " + object + " " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ReadFile(dst), data);

  auto cat_raw = cli.Run("st cat " + object);
  ASSERT_EQ(cat_raw.exit_code, 0) << cat_raw.err;
  EXPECT_EQ(cat_raw.out, raw);
  auto cat = cli.Run("st cat --decrypt --decompress " + object);
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, data);
}

INSTANTIATE_TEST_SUITE_P(Methods, StRoundTripTest,
                         ::testing::Values(Case{"lz4", false}, Case{"lz4", true},
                                           Case{"zstd", false}, Case{"zstd", true},
                                           Case{"brotli", false}, Case{"brotli", true},
                                           Case{"lzma", false}, Case{"lzma", true},
                                           Case{"none", false}, Case{"none", true}),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return param_info.param.method +
                                  (param_info.param.encrypt ? "_libsodium" : "_plain");
                         });

class StTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cli_.UseFileStorage();
    src_ = cli_.work().path() / "src.bin";
    WriteFile(src_, CompressibleBytes(200000, 3));
  }
  CommandResult Put(const std::string& name, const std::string& extra = "") {
    return cli_.Run("st put " + extra + " " + ShellQuote(src_.string()) + " " + name);
  }
  std::string Dst(const std::string& name) const { return (cli_.work().path() / name).string(); }

  CliRunner cli_;
  fs::path src_;
};

TEST_F(StTest, LsListsOneLevelOrRecursively) {
  ASSERT_EQ(Put("a/one").exit_code, 0);
  ASSERT_EQ(Put("a/b/two").exit_code, 0);
  auto ls = cli_.Run("st ls a");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  auto lines = Lines(ls.out);
  ASSERT_EQ(lines.size(), 3u) << ls.out;
  EXPECT_EQ(lines[0].substr(0, 4), "type");
  EXPECT_NE(lines[0].find("last modified"), std::string::npos);
  EXPECT_NE(ls.out.find("dir "), std::string::npos);
  EXPECT_NE(ls.out.find("one.lz4"), std::string::npos);

  auto rec = cli_.Run("st ls -r a");
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_NE(rec.out.find("b/two.lz4"), std::string::npos) << rec.out;
  EXPECT_EQ(rec.out.find("dir "), std::string::npos) << rec.out;
}

TEST_F(StTest, PutRefusesToOverwriteWithoutForce) {
  ASSERT_EQ(Put("x").exit_code, 0);
  auto again = Put("x");
  EXPECT_EQ(again.exit_code, 1);
  ExpectOneErrorLine(again, "x.lz4 already exists");
  EXPECT_EQ(Put("x", "-f").exit_code, 0);
}

TEST_F(StTest, GetNeverOverwritesTheDestination) {
  ASSERT_EQ(Put("x").exit_code, 0);
  WriteFile(Dst("taken"), "keep me");
  auto get = cli_.Run("st get x.lz4 " + ShellQuote(Dst("taken")));
  EXPECT_EQ(get.exit_code, 1);
  ExpectOneErrorLine(get, "already exists");
  EXPECT_EQ(ReadFile(Dst("taken")), "keep me");
}

TEST_F(StTest, GetIntoADirectoryDropsTheCompressionExtension) {
  ASSERT_EQ(Put("x").exit_code, 0);
  auto get = cli_.Run("st get x.lz4 " + ShellQuote(cli_.work().str()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ReadFile(Dst("x")), ReadFile(src_));
}

TEST_F(StTest, RmRemovesAFolderAndComplainsAboutAMissingOne) {
  ASSERT_EQ(Put("f/one").exit_code, 0);
  ASSERT_EQ(Put("f/two").exit_code, 0);
  ASSERT_EQ(Put("g/three").exit_code, 0);
  auto rm = cli_.Run("st rm f");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  auto ls = cli_.Run("st ls -r");
  EXPECT_EQ(ls.out.find("one"), std::string::npos);
  EXPECT_NE(ls.out.find("g/three.lz4"), std::string::npos);
  auto missing = cli_.Run("st rm nothing-here");
  EXPECT_EQ(missing.exit_code, 1);
  ExpectOneErrorLine(missing, "'nothing-here' does not exist");
}

TEST_F(StTest, CheckReadAndWrite) {
  ASSERT_EQ(Put("present").exit_code, 0);
  auto write = cli_.Run("st check write");
  EXPECT_EQ(write.exit_code, 0) << write.err;
  EXPECT_NE(write.err.find("Write check OK"), std::string::npos);
  auto read = cli_.Run("st check read present.lz4");
  EXPECT_EQ(read.exit_code, 0) << read.err;
  auto missing = cli_.Run("st check read present.lz4 absent.lz4");
  EXPECT_EQ(missing.exit_code, 1);
  ExpectOneErrorLine(missing, "absent.lz4");
  // The write check leaves nothing behind.
  auto ls = cli_.Run("st ls -r");
  EXPECT_EQ(ls.out.find("walnut-check"), std::string::npos) << ls.out;
}

TEST_F(StTest, StoragePrefixAndConfigFileReachTheCommands) {
  // WALG_STORAGE_PREFIX from a YAML config file, the compression method from a hidden flag.
  WriteFile(Dst("walg.yaml"), "WALG_STORAGE_PREFIX: tenant-a\nWALG_COMPRESSION_METHOD: brotli\n");
  auto put = cli_.Run("--config " + ShellQuote(Dst("walg.yaml")) +
                      " --walg-compression-method=zstd st put " + ShellQuote(src_.string()) + " x");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_TRUE(fs::exists(fs::path(cli_.storage_dir()) / "tenant-a" / "x.zst"));
  auto flags = cli_.Run("--config " + ShellQuote(Dst("walg.yaml")) + " flags");
  EXPECT_NE(flags.out.find("tenant-a [file]"), std::string::npos) << flags.out;
}

TEST_F(StTest, WalgNameRunsTheSameBinary) {
  fs::path walg = fs::path(std::getenv("WALNUT_BINARY")).parent_path() / "wal-g";
  ASSERT_TRUE(fs::exists(walg)) << walg;
  ASSERT_EQ(Put("x").exit_code, 0);
  std::string command = cli_.CommandLine("st ls");
  command.replace(command.find(WalnutBinary()), WalnutBinary().size(), ShellQuote(walg.string()));
  auto r = RunCommand(command);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("x.lz4"), std::string::npos);
}

// --- Bad input: one clear line, a non-zero exit, nothing half-written. ---

class BadInputTest : public StTest {
 protected:
  void SetUp() override {
    StTest::SetUp();
    cli_.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
    cli_.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
    ASSERT_EQ(Put("obj").exit_code, 0);
    stored_ = fs::path(cli_.storage_dir()) / "obj.lz4";
  }
  void ExpectGetFails(const std::string& must_contain, int exit_code = 1) {
    auto get = cli_.Run("st get obj.lz4 " + ShellQuote(Dst("out")));
    EXPECT_EQ(get.exit_code, exit_code) << get.err;
    ExpectOneErrorLine(get, must_contain);
    EXPECT_FALSE(fs::exists(Dst("out"))) << "a failed get left its destination";
    // No temporary file either.
    for (const auto& entry : fs::directory_iterator(cli_.work().path())) {
      EXPECT_EQ(entry.path().filename().string().find("out"), std::string::npos) << entry.path();
    }
  }
  fs::path stored_;
};

TEST_F(BadInputTest, CorruptObject) {
  std::string raw = ReadFile(stored_);
  raw[raw.size() / 2] = static_cast<char>(raw[raw.size() / 2] ^ 0x40);
  WriteFile(stored_, raw);
  ExpectGetFails("obj.lz4");
}

TEST_F(BadInputTest, TruncatedObject) {
  std::string raw = ReadFile(stored_);
  WriteFile(stored_, raw.substr(0, raw.size() - 100));
  ExpectGetFails("obj.lz4");
}

TEST_F(BadInputTest, WrongKey) {
  cli_.Set("WALG_LIBSODIUM_KEY",
           "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  ExpectGetFails("obj.lz4");
}

TEST_F(BadInputTest, KeyOfTheWrongLength) {
  cli_.Set("WALG_LIBSODIUM_KEY", "00112233");
  auto get = cli_.Run("st get obj.lz4 " + ShellQuote(Dst("out")));
  EXPECT_EQ(get.exit_code, 2) << get.err;
  ExpectOneErrorLine(get, "WALG_LIBSODIUM_KEY");
  EXPECT_EQ(get.err.find("00112233"), std::string::npos) << "the key leaked: " << get.err;
}

TEST_F(BadInputTest, UnsupportedCompressionExtension) {
  fs::copy_file(stored_, fs::path(cli_.storage_dir()) / "old.gz");
  auto get = cli_.Run("st get old.gz " + ShellQuote(Dst("out")));
  EXPECT_EQ(get.exit_code, 1);
  ExpectOneErrorLine(get, "old.gz");
}

TEST_F(BadInputTest, MissingObject) {
  auto get = cli_.Run("st get nope.lz4 " + ShellQuote(Dst("out")));
  EXPECT_EQ(get.exit_code, 1);
  ExpectOneErrorLine(get, "nope.lz4");
}

TEST_F(BadInputTest, BadSettingNamesTheSettingAndTheAcceptedValues) {
  cli_.Set("WALG_COMPRESSION_METHOD", "lz5");
  auto put = Put("other");
  EXPECT_EQ(put.exit_code, 2);
  ExpectOneErrorLine(put, "WALG_COMPRESSION_METHOD");
  EXPECT_NE(put.err.find("zstd"), std::string::npos) << put.err;
}

TEST_F(BadInputTest, UnknownFlag) {
  auto r = cli_.Run("st ls --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneErrorLine(r, "--no-such-flag");
}

TEST_F(BadInputTest, UnknownCommand) {
  auto r = cli_.Run("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneErrorLine(r, "frobnicate");
}

TEST_F(BadInputTest, NoStorageConfigured) {
  cli_.Unset("WALG_FILE_PREFIX");
  auto r = cli_.Run("st ls");
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r, "WALG_FILE_PREFIX");
}

TEST_F(BadInputTest, BrokenConfigFile) {
  WriteFile(Dst("walg.json"), "{\"WALG_COMPRESSION_METHOD\": ");
  auto r = cli_.Run("--config " + ShellQuote(Dst("walg.json")) + " st ls");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneErrorLine(r, "walg.json");
}

TEST_F(BadInputTest, SecretsNeverReachTheOutput) {
  const std::string secret_key = "Zm9vYmFyYmF6cXV1eGZvb2JhcmJhenF1dXhmb29iYXI=";
  cli_.Set("AWS_SECRET_ACCESS_KEY", "s3cr3t-access-key-value");
  cli_.Set("WALG_LIBSODIUM_KEY", secret_key);
  cli_.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "base64");
  cli_.Set("PGPASSWORD", "pg-password-value");
  for (const char* args : {"flags", "st ls", "st get obj.lz4 /nonexistent/dir/x", "--help"}) {
    auto r = cli_.Run(args);
    for (const std::string& secret :
         {secret_key, std::string("s3cr3t-access-key-value"), std::string("pg-password-value")}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << args << " printed a secret";
      EXPECT_EQ(r.err.find(secret), std::string::npos) << args << " logged a secret";
    }
  }
  auto flags = cli_.Run("flags");
  EXPECT_EQ(flags.exit_code, 0) << flags.err;
  EXPECT_NE(flags.out.find("--walg-libsodium-key"), std::string::npos);
  EXPECT_NE(flags.out.find("********"), std::string::npos);
}

// kill -9 in the middle of a put: the object never appears, the next put works.
TEST_F(StTest, KilledPutLeavesNothingVisible) {
  fs::path fifo = cli_.work().path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c",
            cli_.CommandLine("st put " + ShellQuote(fifo.string()) + " killed").c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  {
    std::ofstream feed(fifo, std::ios::binary);
    std::string chunk = RandomBytes(1 << 20, 11);
    for (int i = 0; i < 8; ++i)
      feed.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    feed.flush();
    // The writer is now mid-object; kill the whole process group member running walnut.
    ASSERT_EQ(std::system(("pkill -9 -f " + ShellQuote("st put " + fifo.string())).c_str()) >> 8,
              0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto ls = cli_.Run("st ls -r");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out.find("killed"), std::string::npos) << ls.out;
  // The killed upload's temporary file is not an object, but st ls says it is there, and delete
  // garbage names it in the dry run and removes it (once older than WALNUT_DELETE_PENDING_AGE).
  EXPECT_NE(ls.err.find("1 temporary file(s)"), std::string::npos) << ls.err;
  EXPECT_NE(ls.err.find("delete garbage"), std::string::npos) << ls.err;
  auto young = cli_.Run("delete garbage --confirm");
  ASSERT_EQ(young.exit_code, 0) << young.err;
  EXPECT_NE(cli_.Run("st ls -r").err.find("1 temporary file(s)"), std::string::npos)
      << "a temporary file younger than WALNUT_DELETE_PENDING_AGE may be a live upload's";
  cli_.Set("WALNUT_DELETE_PENDING_AGE", "0s");
  auto dry = cli_.Run("delete garbage");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.err.find("would delete .killed.lz4.walnut-tmp-"), std::string::npos) << dry.err;
  EXPECT_NE(cli_.Run("st ls -r").err.find("1 temporary file(s)"), std::string::npos);
  auto confirmed = cli_.Run("delete garbage --confirm");
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_NE(confirmed.err.find("deleted .killed.lz4.walnut-tmp-"), std::string::npos)
      << confirmed.err;
  ls = cli_.Run("st ls -r");
  EXPECT_EQ(ls.err.find("temporary file"), std::string::npos) << ls.err;
  EXPECT_EQ(Put("killed").exit_code, 0);
}

// --- The same commands against S3 (the fixture's s3rver). ---

TEST(StS3Test, RoundTripWithLz4AndLibsodiumThroughMultipart) {
  CliRunner cli;
  cli.UseS3Storage("roundtrip");
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  cli.Set("WALG_S3_MAX_PART_SIZE", "5MiB");
  std::string data = RandomBytes(23 << 20, 21);
  fs::path src = cli.work().path() / "src.bin";
  WriteFile(src, data);
  auto put = cli.Run("st put " + ShellQuote(src.string()) + " big");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto ls = cli.Run("st ls");
  EXPECT_NE(ls.out.find("big.lz4"), std::string::npos) << ls.out;
  fs::path dst = cli.work().path() / "dst.bin";
  auto get = cli.Run("st get big.lz4 " + ShellQuote(dst.string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(dst) == data);
  auto rm = cli.Run("st rm big.lz4");
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
}

// 1 GiB through each remote storage with lz4 and libsodium at default settings: peak RSS (the
// kernel's max resident set, from /usr/bin/time) under 64 MiB each way, and the time printed.
class RemoteStorageCliTest : public ::testing::TestWithParam<TestStorage> {};

TEST_P(RemoteStorageCliTest, OneGiBRoundTripInBoundedMemory) {
  CliRunner cli;
  cli.UseStorage(GetParam(), "onegib");
  cli.Set("WALG_LIBSODIUM_KEY", kTestLibsodiumKeyHex);
  cli.Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
  std::string src = (cli.work().path() / "src.bin").string();
  std::string dst = (cli.work().path() / "dst.bin").string();
  ASSERT_EQ(std::system(("head -c 1073741824 /dev/urandom > " + ShellQuote(src)).c_str()), 0);

  const std::string storage = TestStorageName(GetParam());
  auto timed = [&](const std::string& args) {
    MeasuredRun run = RunMeasured(cli, args);
    EXPECT_EQ(run.result.exit_code, 0) << args << ": " << run.result.err;
    std::cout << "[ " << storage << " ] " << args.substr(0, 6) << " of 1 GiB: " << run.took.count()
              << " ms, " << run.peak_rss_mib << " MiB peak RSS\n";
    return run.peak_rss_mib;
  };
  EXPECT_LT(timed("st put " + ShellQuote(src) + " big"), 64);
  EXPECT_LT(timed("st get big.lz4 " + ShellQuote(dst)), 64);
  EXPECT_EQ(std::system(("cmp -s " + ShellQuote(src) + " " + ShellQuote(dst)).c_str()), 0)
      << "the downloaded file differs";
  EXPECT_EQ(cli.Run("st rm big.lz4").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(RemoteStorages, RemoteStorageCliTest,
                         ::testing::Values(TestStorage::kS3, TestStorage::kSftp),
                         TestStorageParamName);

TEST(StS3Test, UnreachableServerFailsQuicklyWithOneLine) {
  CliRunner cli;
  cli.UseS3Storage("unreachable");
  cli.Set("AWS_ENDPOINT", "http://127.0.0.1:1");
  cli.Set("WALG_S3_MAX_RETRIES", "2");
  auto start = std::chrono::steady_clock::now();
  auto r = cli.Run("st ls");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r, "127.0.0.1");
  EXPECT_LT(elapsed, std::chrono::seconds(30));
}

}  // namespace
}  // namespace walnut::testing
