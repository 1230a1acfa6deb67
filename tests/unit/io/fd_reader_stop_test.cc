#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "io/fd_stream.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    CloseWriter();
    ::close(fds_[0]);
  }
  int reader() const { return fds_[0]; }
  void Write(const std::string& data) {
    ASSERT_EQ(::write(fds_[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  void CloseWriter() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

TEST(FdReaderStopTest, AnIdlePipeGivesWayToAStopRequest) {
  Pipe pipe;
  std::atomic<bool> stop{false};
  FdReader reader(pipe.reader(), "standard input", &stop);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  auto start = Clock::now();
  std::string buffer(16, '\0');
  Error e = ExpectError([&] { reader.Read(AsWritableBytes(buffer)); });
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stopper.join();
  EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  EXPECT_STREQ(e.what(), "reading standard input was interrupted");
  EXPECT_GE(seconds, 0.15);
  EXPECT_LT(seconds, 1.0);
}

TEST(FdReaderStopTest, DataAndTheEndArriveAsWithoutAFlag) {
  Pipe pipe;
  std::atomic<bool> stop{false};
  FdReader reader(pipe.reader(), "standard input", &stop);
  pipe.Write("hello");
  pipe.CloseWriter();
  std::string buffer(16, '\0');
  EXPECT_EQ(reader.Read(AsWritableBytes(buffer)), 5u);
  EXPECT_EQ(buffer.substr(0, 5), "hello");
  EXPECT_EQ(reader.Read(AsWritableBytes(buffer)), 0u);
}

}  // namespace
}  // namespace walnut::testing
