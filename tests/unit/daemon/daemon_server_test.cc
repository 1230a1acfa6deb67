#include "daemon/daemon_server.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "daemon/protocol/daemon_client.h"
#include "daemon/protocol/protocol.h"
#include "daemon/protocol/unix_socket.h"
#include "localfs/local_fs.h"
#include "pipeline/pipeline.h"
#include "postgres/wal_file_name.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage_wrapper.h"
#include "support/gated_storage.h"
#include "support/test_util.h"
#include "support/wal_segments.h"

namespace walnut::daemon {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::ExpectError;
using namespace std::string_literals;

constexpr uint64_t kSegmentSize = 1 << 20;
constexpr uint64_t kSystemId = 7'300'000'000'000'000'001ull;

std::string SegmentName(uint64_t segno) { return pg::WalFileName({1, segno}, kSegmentSize); }

// A Unix socket bound at `path`, listening with a backlog of `backlog` unless it is 0. Closed
// without listening, it is what a killed daemon leaves behind: nothing accepts on it.
int BindSocket(const fs::path& path, int backlog) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_un address = UnixSocketAddress(path.string());
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  if (backlog > 0) {
    EXPECT_EQ(::listen(fd, backlog), 0);
  }
  return fd;
}

void BindDeadSocket(const fs::path& path) { ::close(BindSocket(path, 0)); }

// Every Get waits `delay` first: a storage slow to answer reads.
class SlowReadStorage : public StorageWrapper {
 public:
  SlowReadStorage(Storage& target, std::chrono::milliseconds delay)
      : StorageWrapper(target), delay_(delay) {}
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range) override {
    std::this_thread::sleep_for(delay_);
    return StorageWrapper::Get(key, range);
  }

 private:
  std::chrono::milliseconds delay_;
};

class DaemonServerTest : public ::testing::Test {
 protected:
  DaemonServerTest() : root_(memory_, "") {
    fs::create_directories(pgdata() / "pg_wal" / "archive_status");
    pipeline_.compression = CompressionMethod::kLz4;
  }
  ~DaemonServerTest() override { Stop(); }

  fs::path pgdata() const { return dir_.path() / "data"; }
  std::string socket_path() const { return (dir_.path() / "d.sock").string(); }

  DaemonOptions Options() {
    DaemonOptions options{.socket_path = socket_path(),
                          .pgdata = pgdata(),
                          .fs = LocalFs::Default(),
                          .push = WalPushOptions{.fs = LocalFs::Default()},
                          .fetch = wal::WalRestoreOptions{.fs = LocalFs::Default()}};
    options.push.file.pipeline = pipeline_;
    options.push.file.segment_size = kSegmentSize;
    options.push.parallel_uploads = 1;
    options.fetch.segment_size = kSegmentSize;
    options.fetch.prefetch_count = 0;
    options.read_timeout = std::chrono::milliseconds(500);
    options.shutdown_grace = std::chrono::milliseconds(200);
    return options;
  }

  void Start(DaemonOptions options) {
    server_ = std::make_unique<DaemonServer>(root_, pipeline_, std::move(options));
    server_->Listen();
    serving_ = std::thread([this] { abandoned_ = server_->Serve(stop_); });
  }
  void Start() { Start(Options()); }

  // Stops the server; returns what Serve() returned.
  size_t Stop() {
    if (!serving_.joinable()) return abandoned_;
    stop_ = true;
    serving_.join();
    server_.reset();
    return abandoned_;
  }

  char Send(const std::string& message, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    ClientOptions options{.socket_path = socket_path(), .timeout = timeout};
    return SendRequest(options, message);
  }

  std::string Segment(uint64_t segno) {
    testing::WriteFakeWalSegment(pgdata() / "pg_wal", {1, segno}, kSystemId, true, kSegmentSize);
    return SegmentName(segno);
  }

  testing::TempDir dir_;
  MemoryStorage memory_;
  Folder root_;
  PipelineOptions pipeline_;
  std::unique_ptr<DaemonServer> server_;
  std::atomic<bool> stop_{false};
  std::thread serving_;
  size_t abandoned_ = 0;
};

TEST_F(DaemonServerTest, AnswersCheckAndAcceptsARequestAfterIt) {
  Start();
  EXPECT_EQ(Send(EncodeRequest(MessageType::kCheck, {})), 'O');
  // WAL-G's own test: a check ("CHECK" as its body) and a push on one connection, "OO" back.
  std::string name = Segment(3);
  UnixSocket socket = ConnectUnixSocket(socket_path(), Clock::now() + std::chrono::seconds(5));
  socket.WriteAll("C\x00\x08" "CHECK"s + EncodeRequest(MessageType::kWalPush, {name}),
                  Clock::now() + std::chrono::seconds(5), "test");
  char answers[2] = {};
  ASSERT_TRUE(socket.ReadExactly(answers, 2, Clock::now() + std::chrono::seconds(20), "test"));
  EXPECT_EQ(std::string(answers, 2), "OO");
  EXPECT_TRUE(memory_.Stat("wal_005/" + name + ".lz4").has_value());
}

TEST_F(DaemonServerTest, PushArchivesAndFetchRestoresTheSameBytes) {
  Start();
  std::string name = Segment(5);
  std::string original = testing::ReadFile(pgdata() / "pg_wal" / name);
  ASSERT_EQ(Send(EncodeRequest(MessageType::kWalPush, {name})), 'O');
  ASSERT_EQ(Send(EncodeRequest(MessageType::kWalFetch, {name, "pg_wal/RECOVERYXLOG"})), 'O');
  EXPECT_EQ(testing::ReadFile(pgdata() / "pg_wal" / "RECOVERYXLOG"), original);
  // No temporary file is left next to it.
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(pgdata() / "pg_wal")) {
    entries += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(entries, 2u);
}

TEST_F(DaemonServerTest, FetchOfAFileNotArchivedAnswersNotArchived) {
  Start();
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalFetch, {SegmentName(9), "pg_wal/RECOVERYXLOG"})),
            'N');
  EXPECT_FALSE(fs::exists(pgdata() / "pg_wal" / "RECOVERYXLOG"));
}

TEST_F(DaemonServerTest, PushOfAMissingFileAnswersError) {
  Start();
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalPush, {SegmentName(4)})), 'E');
}

TEST_F(DaemonServerTest, GarbageIsRefusedAndTheDaemonKeepsServing) {
  Start();
  EXPECT_EQ(Send("Z\x00\x03"s), 'E');                            // unknown type
  EXPECT_EQ(Send("F\x00\x01"s), 'E');                            // length below the header
  EXPECT_EQ(Send("f\x00\x05" "\x01\x00\x09x"s), 'E');            // argument past the end
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalFetch, {"a", "b", "c"})), 'E');
  // A client that sends half a message and then nothing: answered once the read times out.
  EXPECT_EQ(Send("F\x00\x20" "0000"s), 'E');
  // A client that goes away in the middle of its message.
  {
    UnixSocket socket = ConnectUnixSocket(socket_path(), Clock::now() + std::chrono::seconds(5));
    socket.WriteAll("f\x00\x40\x02"s, Clock::now() + std::chrono::seconds(5), "test");
  }
  EXPECT_EQ(Send(EncodeRequest(MessageType::kCheck, {})), 'O');
}

TEST_F(DaemonServerTest, ArchivedWalIsNeverOverwrittenWithOtherContent) {
  Start();
  std::string name = Segment(10);
  ASSERT_EQ(Send(EncodeRequest(MessageType::kWalPush, {name})), 'O');
  std::string stored = testing::ReadAll(*memory_.Get("wal_005/" + name + ".lz4"));
  // The same content again: success without a change (PostgreSQL retries after a lost answer).
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalPush, {name})), 'O');
  // Other content under the same name: refused, the archive unchanged.
  std::string changed = testing::ReadFile(pgdata() / "pg_wal" / name);
  changed[changed.size() / 2 + 100] ^= 1;  // inside a page, past its header
  testing::WriteFile(pgdata() / "pg_wal" / name, changed);
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalPush, {name})), 'E');
  EXPECT_EQ(testing::ReadAll(*memory_.Get("wal_005/" + name + ".lz4")), stored);
}

TEST_F(DaemonServerTest, NamesThatLeaveTheDataDirectoryAreRefused) {
  Start();
  testing::WriteFile(dir_.path() / "outside", "x");
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalPush, {"../../outside"})), 'E');
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalPush, {".."})), 'E');
  std::string name = Segment(6);
  ASSERT_EQ(Send(EncodeRequest(MessageType::kWalPush, {name})), 'O');
  for (const std::string& destination : {"../stolen"s, "/tmp/stolen"s, "pg_wal/../../stolen"s, ""s}) {
    EXPECT_EQ(Send(EncodeRequest(MessageType::kWalFetch, {name, destination})), 'E') << destination;
  }
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalFetch, {"../" + name, "pg_wal/x"})), 'E');
  EXPECT_FALSE(fs::exists(dir_.path() / "stolen"));
  size_t objects = 0;
  memory_.List("", ListOptions{.recursive = true}, [&](const ObjectInfo&) { ++objects; });
  EXPECT_EQ(objects, 2u);  // the segment and the archive's identity
}

TEST_F(DaemonServerTest, AStuckStorageIsAnsweredAsFailedAtTheDeadline) {
  testing::GatedStorage stuck(memory_, "wal_005/");
  Folder stuck_root(stuck, "");
  DaemonOptions options = Options();
  options.request_timeout = std::chrono::milliseconds(300);
  server_ = std::make_unique<DaemonServer>(stuck_root, pipeline_, std::move(options));
  server_->Listen();
  serving_ = std::thread([this] { abandoned_ = server_->Serve(stop_); });
  std::string name = Segment(7);
  Clock::time_point start = Clock::now();
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalPush, {name})), 'E');
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(memory_.Stat("wal_005/" + name + ".lz4").has_value());
  // The abandoned upload still holds its slot; once the storage moves, it ends and the daemon
  // stops cleanly.
  EXPECT_EQ(stuck.held(), 1u);
  stuck.Open();
  EXPECT_EQ(Stop(), 0u);
}

TEST_F(DaemonServerTest, AFetchPastItsDeadlineNeverWritesTheDestination) {
  Start();
  std::string name = Segment(9);
  ASSERT_EQ(Send(EncodeRequest(MessageType::kWalPush, {name})), 'O');
  Stop();
  SlowReadStorage slow(memory_, std::chrono::milliseconds(700));
  Folder slow_root(slow, "");
  DaemonOptions options = Options();
  options.request_timeout = std::chrono::milliseconds(200);
  options.shutdown_grace = std::chrono::seconds(5);
  server_ = std::make_unique<DaemonServer>(slow_root, pipeline_, std::move(options));
  server_->Listen();
  stop_ = false;
  serving_ = std::thread([this] { abandoned_ = server_->Serve(stop_); });
  EXPECT_EQ(Send(EncodeRequest(MessageType::kWalFetch, {name, "pg_wal/RECOVERYXLOG"})), 'E');
  // Serve() returns once the abandoned fetch has ended: it removed its file instead of renaming.
  EXPECT_EQ(Stop(), 0u);
  EXPECT_FALSE(fs::exists(pgdata() / "pg_wal" / "RECOVERYXLOG"));
  for (const auto& entry : fs::directory_iterator(pgdata() / "pg_wal")) {
    EXPECT_EQ(entry.path().filename().string().find("RECOVERYXLOG"), std::string::npos)
        << entry.path();
  }
}

TEST_F(DaemonServerTest, ALiveDaemonsSocketIsNotTaken) {
  Start();
  DaemonServer second(root_, pipeline_, Options());
  Error e = ExpectError([&] { second.Listen(); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(std::string(e.what()).find("already listening on " + socket_path()), std::string::npos);
  EXPECT_EQ(Send(EncodeRequest(MessageType::kCheck, {})), 'O');
}

TEST_F(DaemonServerTest, ABusyDaemonsSocketIsNotTakenEither) {
  // A listener that accepts nothing, its backlog filled: connecting waits (EAGAIN), not refused.
  int listener = BindSocket(socket_path(), 1);
  std::vector<int> pending;
  for (int i = 0; i < 64; ++i) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un address = UnixSocketAddress(socket_path());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd);
      break;
    }
    pending.push_back(fd);
  }
  DaemonServer server(root_, pipeline_, Options());
  Error e = ExpectError([&] { server.Listen(); });
  EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(std::string(e.what()).find("busy"), std::string::npos) << e.what();
  EXPECT_TRUE(fs::exists(socket_path()));
  for (int fd : pending) ::close(fd);
  ::close(listener);
}

TEST_F(DaemonServerTest, AStaleSocketIsReplacedAndRemovedAtStop) {
  BindDeadSocket(socket_path());
  Start();
  EXPECT_EQ(Send(EncodeRequest(MessageType::kCheck, {})), 'O');
  EXPECT_EQ(Stop(), 0u);
  EXPECT_FALSE(fs::exists(socket_path()));
}

TEST_F(DaemonServerTest, AFileThatIsNotASocketIsLeftAlone) {
  testing::WriteFile(socket_path(), "keep me");
  DaemonServer server(root_, pipeline_, Options());
  EXPECT_EQ(ExpectError([&] { server.Listen(); }).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(testing::ReadFile(socket_path()), "keep me");
}

TEST_F(DaemonServerTest, RequestsBeyondTheLimitWaitForASlot) {
  testing::GatedStorage gate(memory_, "wal_005/");
  Folder gated_root(gate, "");
  DaemonOptions options = Options();
  options.max_requests = 1;
  server_ = std::make_unique<DaemonServer>(gated_root, pipeline_, std::move(options));
  server_->Listen();
  serving_ = std::thread([this] { abandoned_ = server_->Serve(stop_); });
  std::string name = Segment(8);
  std::optional<char> first;
  std::thread pusher([&] { first = Send(EncodeRequest(MessageType::kWalPush, {name})); });
  ASSERT_TRUE(gate.WaitUntilHeld(1));
  // The only slot is taken: a check is not answered while the push runs.
  EXPECT_EQ(ExpectError([&] {
              Send(EncodeRequest(MessageType::kCheck, {}), std::chrono::milliseconds(400));
            }).code(),
            ErrorCode::kNetwork);
  gate.Open();
  pusher.join();
  EXPECT_EQ(first, 'O');
  EXPECT_EQ(Send(EncodeRequest(MessageType::kCheck, {})), 'O');
}

TEST(DaemonClientTest, NoDaemonFailsAtOnceNamingTheSocket) {
  testing::TempDir dir;
  std::string path = (dir.path() / "none.sock").string();
  ClientOptions options{.socket_path = path};
  Clock::time_point start = Clock::now();
  Error missing = ExpectError([&] { SendRequest(options, EncodeRequest(MessageType::kCheck, {})); });
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(missing.what()).find(path), std::string::npos);
  BindDeadSocket(path);
  Error refused = ExpectError([&] { SendRequest(options, EncodeRequest(MessageType::kCheck, {})); });
  EXPECT_EQ(refused.code(), ErrorCode::kNetwork);
  EXPECT_NE(std::string(refused.what()).find("connection refused"), std::string::npos);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
}

TEST(DaemonClientTest, ADaemonThatNeverAnswersFailsAtTheTimeout) {
  testing::TempDir dir;
  std::string path = (dir.path() / "hung.sock").string();
  // Listens, never accepts: connections complete in the backlog, and nothing answers.
  int fd = BindSocket(path, 4);
  ClientOptions options{.socket_path = path, .timeout = std::chrono::milliseconds(300)};
  Clock::time_point start = Clock::now();
  Error e = ExpectError([&] { SendRequest(options, EncodeRequest(MessageType::kCheck, {})); });
  auto took = Clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_NE(std::string(e.what()).find("did not answer within 0.3s"), std::string::npos) << e.what();
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(3));
  ::close(fd);
}

}  // namespace
}  // namespace walnut::daemon
