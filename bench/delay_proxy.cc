// delay_proxy: a TCP proxy that adds a round-trip time, for benchmarks on a kernel without netem.
//
//   delay_proxy --listen 127.0.0.1:PORT --connect 127.0.0.1:PORT --rtt-ms 10 [--buffer-mb 64]
//
// Every byte is held for RTT/2 in each direction: a delay line, not stop-and-wait, so a stream
// keeps its throughput (up to --buffer-mb in flight per direction, i.e. buffer / (RTT/2) bytes/s)
// while each request/response exchange pays the round trip. A new connection is held for one RTT
// before its first byte goes upstream, standing for the TCP handshake that the kernel completed
// locally at once. Not modelled: packet loss, TCP slow start, a bandwidth limit.
// Runs until killed; one thread per connection direction for reading and one for writing.

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  sockaddr_in listen{};
  sockaddr_in connect{};
  Clock::duration rtt{};
  size_t buffer_bytes = 64u << 20;
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "delay_proxy: %s\n", message.c_str());
  std::exit(2);
}

// Parses "IPV4:PORT" (the only form the benchmarks need); exits with a message otherwise.
sockaddr_in ParseAddress(std::string_view flag, const std::string& text) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  const auto colon = text.rfind(':');
  const int port = colon == std::string::npos ? 0 : std::atoi(text.c_str() + colon + 1);
  if (colon == std::string::npos || port <= 0 || port > 65535 ||
      inet_pton(AF_INET, text.substr(0, colon).c_str(), &address.sin_addr) != 1) {
    Fail(std::string(flag) + " wants IPV4:PORT, not '" + text + "'");
  }
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  bool have_listen = false, have_connect = false, have_rtt = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) Fail("missing value after " + std::string(flag));
    const std::string value = argv[++i];
    if (flag == "--listen") {
      options.listen = ParseAddress(flag, value);
      have_listen = true;
    } else if (flag == "--connect") {
      options.connect = ParseAddress(flag, value);
      have_connect = true;
    } else if (flag == "--rtt-ms") {
      char* end = nullptr;
      const double ms = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !(ms >= 0 && ms <= 10000)) {
        Fail("--rtt-ms wants milliseconds between 0 and 10000, not '" + value + "'");
      }
      options.rtt = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double, std::milli>(ms));
      have_rtt = true;
    } else if (flag == "--buffer-mb") {
      const long mb = std::atol(value.c_str());
      if (mb <= 0 || mb > 4096) Fail("--buffer-mb wants 1 to 4096, not '" + value + "'");
      options.buffer_bytes = static_cast<size_t>(mb) << 20;
    } else {
      Fail("unknown flag '" + std::string(flag) +
           "'; usage: delay_proxy --listen IP:PORT --connect IP:PORT --rtt-ms MS [--buffer-mb N]");
    }
  }
  if (!have_listen || !have_connect || !have_rtt) {
    Fail("usage: delay_proxy --listen IP:PORT --connect IP:PORT --rtt-ms MS [--buffer-mb N]");
  }
  return options;
}

// One direction of a connection: bytes read from `from` become due at read time + delay and are
// written to `to` then, in order. The reader stops taking bytes while `limit` bytes wait.
class DelayLine {
 public:
  DelayLine(int from, int to, Clock::duration delay, size_t limit)
      : from_(from), to_(to), delay_(delay), limit_(limit) {}

  // Runs the line until the source ends (the end is passed on as a half-close) or either side
  // fails; `start` holds the first read back until then (the handshake's round trip).
  void Run(Clock::time_point start) {
    std::thread writer([this] { WriteLoop(); });
    std::this_thread::sleep_until(start);
    ReadLoop();
    writer.join();
  }

 private:
  static constexpr size_t kReadSize = 1 << 20;

  struct Chunk {
    Clock::time_point due;
    std::unique_ptr<char[]> bytes;
    size_t size = 0;
  };

  void ReadLoop() {
    auto buffer = std::make_unique_for_overwrite<char[]>(kReadSize);
    for (;;) {
      const ssize_t n = read(from_, buffer.get(), kReadSize);
      if (n < 0 && errno == EINTR) continue;
      Chunk chunk{Clock::now() + delay_, nullptr, static_cast<size_t>(n > 0 ? n : 0)};
      // A large read is queued as it is (no copy: the proxy shares the CPU with what it
      // measures); a small one is copied so that a queue of small reads stays small.
      if (chunk.size >= kReadSize / 4) {
        chunk.bytes = std::exchange(buffer, std::make_unique_for_overwrite<char[]>(kReadSize));
      } else if (chunk.size > 0) {
        chunk.bytes = std::make_unique_for_overwrite<char[]>(chunk.size);
        std::memcpy(chunk.bytes.get(), buffer.get(), chunk.size);
      }
      std::unique_lock lock(mutex_);
      if (n <= 0 || failed_) {
        ended_ = true;
        changed_.notify_all();
        return;
      }
      queued_ += chunk.size;
      queue_.push_back(std::move(chunk));
      changed_.notify_all();
      changed_.wait(lock, [this] { return queued_ < limit_ || failed_; });
    }
  }

  void WriteLoop() {
    for (;;) {
      Chunk chunk;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !queue_.empty() || ended_; });
        if (queue_.empty()) break;
        chunk = std::move(queue_.front());
        queue_.pop_front();
      }
      std::this_thread::sleep_until(chunk.due);
      if (!WriteAll(chunk)) {
        std::lock_guard lock(mutex_);
        failed_ = true;
        changed_.notify_all();
        shutdown(from_, SHUT_RD);  // wakes the reader blocked in read()
        return;
      }
      std::lock_guard lock(mutex_);
      queued_ -= chunk.size;
      changed_.notify_all();
    }
    shutdown(to_, SHUT_WR);
  }

  bool WriteAll(const Chunk& chunk) {
    size_t done = 0;
    while (done < chunk.size) {
      const ssize_t n = send(to_, chunk.bytes.get() + done, chunk.size - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  const int from_, to_;
  const Clock::duration delay_;
  const size_t limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> queue_;
  size_t queued_ = 0;
  bool ended_ = false, failed_ = false;
};

void SetNoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Serves one accepted client: connects upstream and runs both delay lines until both end.
void Serve(int client, const Options& options) {
  const auto accepted = Clock::now();
  const int upstream = socket(AF_INET, SOCK_STREAM, 0);
  if (upstream < 0 || ::connect(upstream, reinterpret_cast<const sockaddr*>(&options.connect),
                                sizeof options.connect) != 0) {
    std::fprintf(stderr, "delay_proxy: connecting upstream failed: %s\n", std::strerror(errno));
    if (upstream >= 0) close(upstream);
    close(client);
    return;
  }
  SetNoDelay(client);
  SetNoDelay(upstream);
  const auto half = options.rtt / 2;
  DelayLine up(client, upstream, half, options.buffer_bytes);
  DelayLine down(upstream, client, half, options.buffer_bytes);
  std::thread down_thread([&] { down.Run(accepted); });
  up.Run(accepted + options.rtt);
  down_thread.join();
  close(upstream);
  close(client);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 ||
      bind(listener, reinterpret_cast<const sockaddr*>(&options.listen), sizeof options.listen) !=
          0 ||
      listen(listener, 128) != 0) {
    Fail(std::string("cannot listen: ") + std::strerror(errno));
  }
  for (;;) {
    const int client = accept(listener, nullptr, nullptr);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      Fail(std::string("accept failed: ") + std::strerror(errno));
    }
    std::thread([client, &options] { Serve(client, options); }).detach();
  }
}
