// The SFTP backend against a real OpenSSH server (the sshd fixture: tests/tools/sshd-server.sh,
// run unprivileged on 127.0.0.1): the storage conformance suite, the host key policy, and each
// way of failing to connect ending in one line, in time.

#include "storage/sftp/sftp_storage.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "support/fault_proxy.h"
#include "support/sshd_server.h"
#include "support/storage_conformance.h"
#include "support/test_util.h"
#include "support/timed.h"

namespace walnut::sftp {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using walnut::testing::ExpectError;
using walnut::testing::ExpectOneLine;
using walnut::testing::ReadAll;
using walnut::testing::ReadFile;
using walnut::testing::SftpTestOptions;
using walnut::testing::Sshd;
using walnut::testing::TempDir;
using walnut::testing::TimedError;
using walnut::testing::WriteFile;

// Each storage keeps its known_hosts file in a directory of its own, removed with it.
class OwnedSftpStorage : public SftpStorage {
 public:
  OwnedSftpStorage(std::unique_ptr<TempDir> dir, SftpOptions options)
      : SftpStorage(std::move(options)), dir_(std::move(dir)) {}

 private:
  std::unique_ptr<TempDir> dir_;
};

std::unique_ptr<Storage> MakeConformanceStorage() {
  auto dir = std::make_unique<TempDir>();
  SftpOptions options = SftpTestOptions("conformance", dir->str());
  return std::make_unique<OwnedSftpStorage>(std::move(dir), std::move(options));
}

WALNUT_INSTANTIATE_STORAGE_CONFORMANCE(Sftp, walnut::testing::StorageFactory{
                                                 "openssh", MakeConformanceStorage});

void PutString(Storage& storage, std::string_view key, const std::string& data,
               std::map<std::string, std::string> metadata = {}) {
  auto writer = storage.Put(key, PutOptions{data.size(), std::move(metadata)});
  writer->Write(AsBytes(data));
  writer->Close();
}

class SftpTest : public ::testing::Test {
 protected:
  SftpOptions Options(std::string_view what) { return SftpTestOptions(what, dir_.str()); }
  std::string known_hosts() const { return dir_.str() + "/known_hosts"; }

  TempDir dir_;
};

TEST_F(SftpTest, ObjectsAreFilesBelowTheRootAsWalgStoresThem) {
  SftpOptions options = Options("layout");
  std::string root = options.root;
  SftpStorage storage(options);
  PutString(storage, "wal_005/000000010000000000000001.lz4", "segment",
            {{"walnut-sha256", std::string(64, 'a')}});
  EXPECT_EQ(ReadFile(root + "/wal_005/000000010000000000000001.lz4"), "segment");
  // The metadata sidecar is hidden, and no temporary file is left.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root + "/wal_005")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".000000010000000000000001.lz4.walnut-meta",
                                             "000000010000000000000001.lz4"}));
  EXPECT_THAT(storage.Describe(),
              HasSubstr(fmt::format("{}:{}{}", Sshd().host, Sshd().port, root)));
}

TEST_F(SftpTest, AFileReplacedBehindOurBackLosesItsMetadata) {
  // WAL-G knows nothing of sidecars: an object it rewrites must not be checked against ours.
  SftpOptions options = Options("replaced");
  std::string root = options.root;
  SftpStorage storage(options);
  PutString(storage, "obj", "first", {{"walnut-sha256", std::string(64, 'b')}});
  ASSERT_EQ(storage.Stat("obj")->metadata.size(), 1u);
  WriteFile(root + "/obj", "second, longer");
  EXPECT_TRUE(storage.Stat("obj")->metadata.empty());
  EXPECT_TRUE(storage.Get("obj")->metadata().empty());
  EXPECT_EQ(ReadAll(*storage.Get("obj")), "second, longer");
}

TEST_F(SftpTest, AKilledWriterLeavesATemporaryFileThatDeleteRemoves) {
  SftpOptions options = Options("killed");
  SftpStorage storage(options);
  {
    auto writer = storage.Put("dir/obj");
    writer->Write(AsBytes(std::string(1000, 'x')));
    // Simulates a killed process: the temporary file stays, as after SIGKILL.
    std::vector<ObjectInfo> temporaries;
    storage.ListTemporaryFiles("", ListOptions{},
                               [&](const ObjectInfo& info) { temporaries.push_back(info); });
    ASSERT_EQ(temporaries.size(), 1u);
    EXPECT_THAT(temporaries[0].key, HasSubstr("dir/.obj.walnut-tmp-"));
    std::vector<std::string> keys;
    storage.List("", ListOptions{}, [&](const ObjectInfo& info) { keys.push_back(info.key); });
    EXPECT_TRUE(keys.empty());
    storage.Delete(std::vector<std::string>{temporaries[0].key});
    writer->Abort();
  }
  std::vector<ObjectInfo> left;
  storage.ListTemporaryFiles("", ListOptions{},
                             [&](const ObjectInfo& info) { left.push_back(info); });
  EXPECT_TRUE(left.empty());
}

TEST_F(SftpTest, ASidecarWhoseObjectWasDeletedBehindOurBackIsALeftover) {
  // WAL-G deletes the object and knows nothing of its sidecar: delete garbage finds it.
  SftpOptions options = Options("orphan");
  std::string root = options.root;
  SftpStorage storage(options);
  PutString(storage, "a/gone", "x", {{"walnut-sha256", std::string(64, 'd')}});
  PutString(storage, "a/kept", "y", {{"walnut-sha256", std::string(64, 'e')}});
  fs::remove(root + "/a/gone");
  std::vector<std::string> leftovers;
  storage.ListTemporaryFiles("", ListOptions{},
                             [&](const ObjectInfo& info) { leftovers.push_back(info.key); });
  EXPECT_EQ(leftovers, std::vector<std::string>{"a/.gone.walnut-meta"});
  storage.Delete(leftovers);
  EXPECT_FALSE(fs::exists(root + "/a/.gone.walnut-meta"));
  EXPECT_EQ(storage.Stat("a/kept")->metadata.size(), 1u);
  // An object of that name is not one a caller may write.
  EXPECT_THROW(storage.Put("a/.gone.walnut-meta"), Error);
}

TEST_F(SftpTest, AnAbortWithWritesInFlightLeavesTheConnectionUsable) {
  // One connection, so the next requests reuse the one the aborted writer had pipelined on.
  SftpOptions options = Options("abort-in-flight");
  options.max_connections = 1;
  SftpStorage storage(options);
  {
    auto writer = storage.Put("big");
    writer->Write(AsBytes(walnut::testing::RandomBytes(3 << 20, 3)));
    writer->Abort();
  }
  EXPECT_FALSE(storage.Stat("big").has_value());
  const std::string data = walnut::testing::RandomBytes((2 << 20) + 5, 4);
  PutString(storage, "next", data, {{"walnut-sha256", std::string(64, 'c')}});
  auto reader = storage.Get("next");
  EXPECT_EQ(reader->metadata().size(), 1u);
  EXPECT_TRUE(ReadAll(*reader) == data);
  std::vector<ObjectInfo> left;
  storage.ListTemporaryFiles("", ListOptions{},
                             [&](const ObjectInfo& info) { left.push_back(info); });
  EXPECT_TRUE(left.empty());
}

TEST_F(SftpTest, RecordsAnUnknownHostKeyOnFirstUseAndTrustsItAfterwards) {
  SftpOptions options = Options("first-use");
  options.strict_host_key = false;
  options.known_hosts_path = dir_.str() + "/new/.ssh/known_hosts";  // the directory is made too
  {
    SftpStorage storage(options);
    EXPECT_FALSE(storage.Stat("nothing").has_value());
  }
  std::string recorded = ReadFile(options.known_hosts_path);
  // The same key as ssh-keyscan saw, under ssh's name for a host off port 22.
  std::string key = Sshd().host_key_line.substr(Sshd().host_key_line.find(' ') + 1);
  EXPECT_THAT(recorded, HasSubstr(fmt::format("[{}]:{}", Sshd().host, Sshd().port)));
  EXPECT_THAT(recorded, HasSubstr(key));
  // Now known, strict checking accepts it, and nothing is appended again.
  options.strict_host_key = true;
  SftpStorage again(options);
  EXPECT_FALSE(again.Stat("nothing").has_value());
  EXPECT_EQ(ReadFile(options.known_hosts_path), recorded);
}

TEST_F(SftpTest, StrictCheckingRefusesAnUnknownHostInOneLine) {
  SftpOptions options = Options("strict");
  options.known_hosts_path = dir_.str() + "/empty_known_hosts";
  SftpStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(e.what(), HasSubstr("WALNUT_SSH_STRICT_HOST_KEY"));
  EXPECT_THAT(e.what(), HasSubstr("SHA256:"));
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(30));
  EXPECT_FALSE(fs::exists(options.known_hosts_path));
}

TEST_F(SftpTest, AChangedHostKeyIsRefusedInOneLine) {
  SftpOptions options = Options("changed");
  // The server's name with another key: what a man-in-the-middle would present.
  std::string other_public = ReadFile(Sshd().other_key + ".pub");
  std::string name = Sshd().host_key_line.substr(0, Sshd().host_key_line.find(' '));
  WriteFile(options.known_hosts_path, name + " " + other_public);
  for (bool strict : {false, true}) {
    options.strict_host_key = strict;
    SftpStorage storage(options);
    auto [e, took] = TimedError([&] { storage.Stat("x"); });
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("host key"));
    EXPECT_THAT(e.what(), HasSubstr("changed"));
    EXPECT_THAT(e.what(), HasSubstr("ssh-keygen -R"));
    ExpectOneLine(e);
    EXPECT_LT(took, std::chrono::seconds(30));
  }
  // Nothing was written to the file.
  EXPECT_EQ(ReadFile(options.known_hosts_path), name + " " + other_public);
}

TEST_F(SftpTest, AWrongKeyIsRefusedInOneLine) {
  SftpOptions options = Options("wrong-key");
  options.private_key_path = Sshd().other_key;
  SftpStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("refused the login"));
  EXPECT_THAT(e.what(), HasSubstr(Sshd().other_key));
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(SftpTest, AMissingKeyFileIsNamed) {
  SftpOptions options = Options("missing-key");
  options.private_key_path = dir_.str() + "/no-such-key";
  SftpStorage storage(options);
  Error e = ExpectError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("SSH_PRIVATE_KEY_PATH"));
  EXPECT_THAT(e.what(), HasSubstr("no-such-key"));
  ExpectOneLine(e);
}

TEST_F(SftpTest, APasswordLogsInAndAWrongOneIsRefusedInOneLine) {
  if (Sshd().password.empty()) {
    GTEST_SKIP() << "the sshd fixture ran unprivileged and cannot check passwords (run as root)";
  }
  SftpOptions options = Options("password");
  options.private_key_path.clear();
  options.password = SecretString(Sshd().password);
  {
    SftpStorage storage(options);
    PutString(storage, "p", "by password");
    EXPECT_EQ(ReadAll(*storage.Get("p")), "by password");
  }
  const std::string wrong = "wrong-" + Sshd().password;
  options.password = SecretString(wrong);
  SftpStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("the password"));
  EXPECT_THAT(e.what(), Not(HasSubstr(wrong)));
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(SftpTest, NoCredentialsAtAllIsABadSetting) {
  SftpOptions options = Options("no-credentials");
  options.private_key_path.clear();
  SftpStorage storage(options);
  Error e = ExpectError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("SSH_PRIVATE_KEY_PATH"));
  EXPECT_THAT(e.what(), HasSubstr("SSH_PASSWORD"));
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(SftpTest, AHostWhereNothingListensFailsInOneLineAtOnce) {
  SftpOptions options = Options("closed");
  options.port = ClosedPort();
  SftpStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(fmt::format("127.0.0.1:{}", options.port)));
  EXPECT_THAT(e.what(), HasSubstr("SSH_PORT"));
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(SftpTest, AServerThatNeverAnswersFailsWithinTheTimeout) {
  // A listener that accepts connections (the kernel's backlog) but never says a word.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  SftpOptions options = Options("silent");
  options.port = ntohs(addr.sin_port);
  options.timeout = std::chrono::seconds(2);
  SftpStorage storage(options);
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  ::close(fd);
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  ExpectOneLine(e);
  // Retried here already: callers must not start over (they would multiply the time).
  EXPECT_FALSE(e.retryable());
  EXPECT_THAT(e.what(), HasSubstr("gave up after"));
  EXPECT_THAT(e.what(), HasSubstr("WALNUT_STORAGE_RETRY_TIMEOUT=2s"));
  // Connecting may take a third of the budget (at least 1 s); a retry must fit in what is left.
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(4));
}

// Through a proxy that is frozen once the connection works: the server hangs behind a live TCP
// connection. libssh would wait for ever; the pool's watchdog drops the connection instead.
class SftpHangTest : public SftpTest {
 protected:
  SftpOptions ProxiedOptions(std::string_view what) {
    SftpOptions options = Options(what);
    options.port = proxy_.port();
    options.strict_host_key = false;  // the proxy's port is another known_hosts name
    options.known_hosts_path = dir_.str() + "/proxied_known_hosts";
    options.timeout = std::chrono::seconds(2);
    return options;
  }

  walnut::testing::FaultProxy proxy_{Sshd().host, Sshd().port, [](int, std::string_view) {
                                       return walnut::testing::ProxyFault::None();
                                     }};
};

TEST_F(SftpTest, AConnectionResetDuringTheHandshakeIsRetried) {
  walnut::testing::FaultProxy proxy(Sshd().host, Sshd().port, [](int connection, std::string_view) {
    return connection == 0 ? walnut::testing::ProxyFault::ResetAfter(300)
                           : walnut::testing::ProxyFault::None();
  });
  SftpOptions options = Options("reset");
  options.port = proxy.port();
  options.strict_host_key = false;
  options.known_hosts_path = dir_.str() + "/proxied_known_hosts";
  SftpStorage storage(options);
  EXPECT_FALSE(storage.Stat("x").has_value());
  EXPECT_EQ(proxy.resets(), 1);
  EXPECT_GE(proxy.connections(), 2);
}

TEST_F(SftpTest, AServerThatStopsAnsweringAnywhereInTheLoginFailsWithinTheTimeout) {
  // The banners, the key exchange and the login take a few KB: stalls at these points hang
  // ssh_connect or the authentication (both bounded by the connect timeout) or the SFTP start
  // and the upload (bounded by the watchdog). The upload is larger than every offset.
  for (int64_t stall_after : {30, 1500, 2500, 3000, 3500, 4000, 4500, 6000, 20000}) {
    walnut::testing::FaultProxy proxy(Sshd().host, Sshd().port,
                                      [stall_after](int, std::string_view) {
                                        return walnut::testing::ProxyFault::StallAfter(stall_after);
                                      });
    SftpOptions options = Options("stall");
    options.port = proxy.port();
    options.strict_host_key = false;
    options.known_hosts_path = dir_.str() + "/proxied_known_hosts";
    options.timeout = std::chrono::seconds(2);
    SftpStorage storage(options);
    auto [e, took] =
        TimedError([&] { PutString(storage, "x", walnut::testing::RandomBytes(1 << 20, 5)); });
    EXPECT_EQ(e.code(), ErrorCode::kNetwork) << stall_after << ": " << e.what();
    ExpectOneLine(e);
    EXPECT_LT(took, std::chrono::seconds(6)) << stall_after << ": " << e.what();
  }
}

TEST_F(SftpHangTest, AStatToAHungServerFailsInOneLineWithinTheTimeout) {
  SftpStorage storage(ProxiedOptions("hung-stat"));
  PutString(storage, "x", "works");
  proxy_.Freeze();
  auto [e, took] = TimedError([&] { storage.Stat("x"); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("no answer within"));
  EXPECT_THAT(e.what(),
              HasSubstr(fmt::format("check the SFTP server {}:{}", Sshd().host, proxy_.port())));
  EXPECT_FALSE(e.retryable());
  ExpectOneLine(e);
  EXPECT_LT(took, std::chrono::seconds(8));
}

TEST_F(SftpHangTest, AReadFromAHungServerFailsWithinTheTimeout) {
  SftpStorage storage(ProxiedOptions("hung-read"));
  PutString(storage, "big", walnut::testing::RandomBytes(4 << 20, 9));
  auto reader = storage.Get("big");
  std::string first(1000, '\0');
  ASSERT_GT(reader->Read(AsWritableBytes(first)), 0u);
  proxy_.Freeze();
  auto [e, took] = TimedError([&] {
    std::string buffer(1 << 20, '\0');
    while (reader->Read(AsWritableBytes(buffer)) > 0) {
    }
  });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_LT(took, std::chrono::seconds(8));
}

TEST_F(SftpHangTest, AWriteToAHungServerFailsWithinTheTimeout) {
  SftpStorage storage(ProxiedOptions("hung-write"));
  PutString(storage, "x", "works");
  auto writer = storage.Put("big");
  proxy_.Freeze();
  auto [e, took] = TimedError([&] {
    writer->Write(AsBytes(walnut::testing::RandomBytes(8 << 20, 10)));
    writer->Close();
  });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
  EXPECT_LT(took, std::chrono::seconds(8));
}

TEST_F(SftpTest, ParallelTransfersUseSeveralConnectionsWithinTheBound) {
  SftpOptions options = Options("parallel");
  options.max_connections = 3;
  SftpStorage storage(options);
  // Four writers open at once with a bound of three: the fourth waits for one to close.
  std::vector<std::unique_ptr<Writer>> writers;
  for (int i = 0; i < 3; ++i) writers.push_back(storage.Put(fmt::format("w{}", i)));
  std::atomic<bool> fourth_started{false};
  std::thread fourth([&] {
    auto writer = storage.Put("w3");
    fourth_started = true;
    writer->Write(AsBytes(std::string("3")));
    writer->Close();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(fourth_started.load());
  for (int i = 0; i < 3; ++i) {
    writers[i]->Write(AsBytes(std::to_string(i)));
    writers[i]->Close();
  }
  writers.clear();
  fourth.join();
  EXPECT_TRUE(fourth_started.load());
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(ReadAll(*storage.Get(fmt::format("w{}", i))), std::to_string(i));
}

}  // namespace
}  // namespace walnut::sftp
