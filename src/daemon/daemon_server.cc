#include "daemon/daemon_server.h"

#include <cerrno>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "daemon/protocol/protocol.h"
#include "daemon/protocol/unix_socket.h"
#include "localfs/temporary_name.h"

namespace walnut::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// How often the accept loop looks at the stop flag.
constexpr int kStopPollMilliseconds = 100;

// The work of one request, run on a thread of its own so that the connection can answer at the
// deadline whatever the work is doing. The work's result counts only if it completes before the
// connection gives up on it (Complete), so that a fetch finishing late never writes its
// destination after the client was told it failed.
class Job {
 public:
  // Unless the connection gave up already, runs `finish` and records the answer it returns;
  // returns whether it did.
  bool Complete(const std::function<char()>& finish) {
    MutexLock lock(mu_);
    if (abandoned_) return false;
    answer_ = finish();
    done_ = true;
    cv_.NotifyAll();
    return true;
  }
  // The answer once complete, or nullopt at the deadline (after which Complete does nothing).
  std::optional<char> AwaitUntil(Clock::time_point deadline) {
    MutexLock lock(mu_);
    while (!done_) {
      if (!cv_.WaitUntil(mu_, deadline)) break;
    }
    if (done_) return answer_;
    abandoned_ = true;
    return std::nullopt;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  bool done_ GUARDED_BY(mu_) = false;
  bool abandoned_ GUARDED_BY(mu_) = false;
  char answer_ GUARDED_BY(mu_) = static_cast<char>(MessageType::kError);
};

// A request's name of a file in pg_wal: one path component.
void CheckFileName(std::string_view name, std::string_view what) {
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} '{}' is not a file name of pg_wal", what, name));
  }
}

// A wal-fetch destination: relative to PGDATA (restore_command's %p), inside it.
void CheckDestination(const std::string& destination) {
  std::filesystem::path path(destination);
  bool bad = destination.empty() || destination.find('\0') != std::string::npos ||
             path.is_absolute() || !path.has_filename();
  for (const auto& part : path) bad = bad || part == "..";
  if (bad) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("wal-fetch destination '{}' is not a path inside PGDATA; the daemon "
                            "takes restore_command's %p, relative to the data directory",
                            destination));
  }
}

std::string ElapsedText(Clock::time_point start) {
  return SecondsText(Clock::now() - start);
}

}  // namespace

// Holds one of max_requests until the connection and its work have both finished.
class DaemonServer::Slot {
 public:
  explicit Slot(DaemonServer& server) : server_(server) {}
  ~Slot() { server_.Release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  DaemonServer& server_;
};

DaemonServer::DaemonServer(const Folder& root, const PipelineOptions& pipeline,
                           DaemonOptions options)
    : root_(root), pipeline_(pipeline), options_(std::move(options)) {}

DaemonServer::~DaemonServer() { CloseListener(); }

void DaemonServer::Listen() {
  const std::string& path = options_.socket_path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("{} exists and is not a socket; remove it or give the daemon "
                              "another socket path",
                              path));
    }
    try {
      ConnectUnixSocket(path, Clock::now() + std::chrono::seconds(1));
      throw Error(ErrorCode::kAlreadyExists,
                  fmt::format("a daemon is already listening on {}; stop it first or give this "
                              "one another socket path",
                              path));
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kAlreadyExists) throw;
      if (e.retryable()) {
        throw Error(ErrorCode::kAlreadyExists,
                    fmt::format("a daemon is listening on {} but accepts nothing now (busy); stop "
                                "it first or give this one another socket path",
                                path));
      }
      // Refused (or gone meanwhile): the socket of a daemon that is gone.
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      ThrowSystemError("cannot remove the stale daemon socket", path);
    }
    spdlog::info("removed the stale socket {} of a daemon that is gone", path);
  }
  const sockaddr_un address = UnixSocketAddress(path);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) ThrowSystemError("cannot create the daemon socket", path);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    int err = errno;
    ::close(fd);
    ThrowSystemError("cannot bind the daemon socket", path, err);
  }
  struct stat bound {};
  // Only the daemon's user and group may talk to it: a request writes into the data directory.
  if (::chmod(path.c_str(), 0660) != 0 || ::lstat(path.c_str(), &bound) != 0 ||
      ::listen(fd, 64) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    ThrowSystemError("cannot listen on the daemon socket", path, err);
  }
  listen_fd_ = fd;
  socket_dev_ = bound.st_dev;
  socket_ino_ = bound.st_ino;
}

void DaemonServer::CloseListener() {
  if (listen_fd_ < 0) return;
  ::close(listen_fd_);
  listen_fd_ = -1;
  // Only our own socket: another daemon may have replaced it since.
  struct stat st {};
  if (::lstat(options_.socket_path.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
      st.st_ino == socket_ino_) {
    ::unlink(options_.socket_path.c_str());
  }
}

void DaemonServer::Release() {
  MutexLock lock(mu_);
  --busy_;
  cv_.NotifyAll();
}

size_t DaemonServer::Serve(const std::atomic<bool>& stop) {
  if (listen_fd_ < 0) throw Error(ErrorCode::kInternal, "daemon serves before it listens");
  while (!stop.load()) {
    {
      // Bounded: a connection is accepted only when a slot is free.
      MutexLock lock(mu_);
      while (busy_ >= options_.max_requests && !stop.load()) {
        cv_.WaitUntil(mu_, Clock::now() + std::chrono::milliseconds(kStopPollMilliseconds));
      }
    }
    if (stop.load()) break;
    pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
    int n = ::poll(&p, 1, kStopPollMilliseconds);
    if (n <= 0) continue;  // timeout or EINTR (a stop signal): look at the flag again
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
        spdlog::error("{}", SystemError("cannot accept on the daemon socket",
                                        options_.socket_path, errno)
                                .what());
        std::this_thread::sleep_for(std::chrono::milliseconds(kStopPollMilliseconds));
      }
      continue;
    }
    {
      MutexLock lock(mu_);
      ++busy_;
    }
    try {
      std::thread([this, fd] { ServeConnection(fd); }).detach();
    } catch (const std::exception& e) {
      ::close(fd);
      Release();
      spdlog::error("cannot start a thread for a daemon connection: {}", e.what());
    }
  }
  CloseListener();
  // Requests in flight end by their deadline; work past it gets the grace.
  const Clock::time_point limit = Clock::now() + options_.read_timeout +
                                  options_.request_timeout + options_.shutdown_grace;
  MutexLock lock(mu_);
  while (busy_ > 0 && Clock::now() < limit) cv_.WaitUntil(mu_, limit);
  return busy_;
}

void DaemonServer::ServeConnection(int fd) {
  // Taken at accept; released once this connection and its work have both ended.
  HandleConnection(fd, std::make_shared<Slot>(*this));
}

void DaemonServer::HandleConnection(int fd, const std::shared_ptr<void>& slot) {
  std::unique_ptr<UnixSocket> socket;
  try {
    socket = std::make_unique<UnixSocket>(fd);
  } catch (const std::exception& e) {
    spdlog::error("daemon connection: {}", e.what());
    return;
  }
  const std::string what = fmt::format("request on daemon socket {}", options_.socket_path);
  auto answer = [&](char type) {
    try {
      socket->WriteAll(std::string(1, type), Clock::now() + options_.read_timeout,
                       "answer to a " + what);
    } catch (const std::exception& e) {
      spdlog::warn("cannot answer {}: {}", DescribeType(type), e.what());
    }
  };
  try {
    while (true) {
      std::optional<Message> message =
          ReadMessage(*socket, Clock::now() + options_.read_timeout, what);
      if (!message) return;  // the client is done
      switch (static_cast<MessageType>(message->type)) {
        case MessageType::kCheck:
          answer(static_cast<char>(MessageType::kOk));
          continue;  // WAL-G's client may send a request after a check
        case MessageType::kWalPush: {
          const std::string name = message->body;
          CheckFileName(name, "wal-push request's file");
          answer(Push(name, slot));
          return;
        }
        case MessageType::kWalFetch: {
          std::vector<std::string> args = DecodeArgs(message->body);
          if (args.size() != 2) {
            throw Error(ErrorCode::kProtocol,
                        fmt::format("wal-fetch request with {} arguments; it takes 2 (the WAL "
                                    "file's name and its destination)",
                                    args.size()));
          }
          CheckFileName(args[0], "wal-fetch request's file");
          CheckDestination(args[1]);
          answer(Fetch(args[0], args[1], slot));
          return;
        }
        default:
          throw Error(ErrorCode::kProtocol,
                      fmt::format("unknown daemon message type {}; the daemon takes check (C), "
                                  "wal-push (F) and wal-fetch (f)",
                                  DescribeType(message->type)));
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    answer(static_cast<char>(MessageType::kError));
  }
}

namespace {

// Runs `work` on a thread of its own holding `slot` (the daemon's slot of the connection), and waits for its answer until `deadline`.
// Past it, the work is abandoned (its Complete does nothing) and the answer is an error.
char RunBounded(const std::shared_ptr<void>& slot, Clock::time_point deadline,
                std::function<void(Job&)> work) {
  auto job = std::make_shared<Job>();
  std::thread([job, slot, work = std::move(work)] { work(*job); }).detach();
  return job->AwaitUntil(deadline).value_or(static_cast<char>(MessageType::kError));
}

}  // namespace

char DaemonServer::Push(const std::string& name, const std::shared_ptr<void>& slot) {
  const std::filesystem::path path = options_.pgdata / "pg_wal" / name;
  const Clock::time_point start = Clock::now();
  char result = RunBounded(slot, start + options_.request_timeout, [this, path, name,
                                                                     start](Job& job) {
    char answer = static_cast<char>(MessageType::kError);
    try {
      WalPush(root_, path, options_.push);
      answer = static_cast<char>(MessageType::kOk);
    } catch (const std::exception& e) {
      spdlog::error("wal-push of {}: {}", name, e.what());
    }
    if (!job.Complete([answer] { return answer; }) &&
        answer == static_cast<char>(MessageType::kOk)) {
      spdlog::info("wal-push of {} finished after its deadline ({}); the retry finds it stored",
                   name, ElapsedText(start));
    }
  });
  if (result == static_cast<char>(MessageType::kOk)) {
    spdlog::info("wal-push of {}: archived in {}", name, ElapsedText(start));
  } else if (Clock::now() >= start + options_.request_timeout) {
    spdlog::error("wal-push of {} did not finish within {} (WALG_DAEMON_WAL_UPLOAD_TIMEOUT); "
                  "answered as failed, PostgreSQL will retry",
                  name, SecondsText(options_.request_timeout));
  }
  return result;
}

char DaemonServer::Fetch(const std::string& name, const std::string& destination,
                         const std::shared_ptr<void>& slot) {
  const std::filesystem::path target = options_.pgdata / destination;
  // Written under a name of its own and renamed to the destination only if the answer is still
  // awaited: a late fetch must not replace a file PostgreSQL asked for since.
  const std::filesystem::path temporary =
      target.parent_path() / MakeTemporaryName(target.filename().string());
  const Clock::time_point start = Clock::now();
  char result = RunBounded(slot, start + options_.request_timeout, [this, name, target,
                                                                     temporary](Job& job) {
    LocalFs& fs = options_.fs;
    char answer = static_cast<char>(MessageType::kError);
    bool restored = false;
    try {
      wal::WalArchive archive{.root = [this]() -> const Folder& { return root_; },
                              .pipeline = [this]() -> const PipelineOptions& { return pipeline_; }};
      restored = wal::RestoreWalFile(name, temporary.string(), options_.fetch, archive) ==
                 wal::WalRestoreResult::kRestored;
      answer = static_cast<char>(restored ? MessageType::kOk : MessageType::kNotArchived);
    } catch (const std::exception& e) {
      spdlog::error("wal-fetch of {}: {}", name, e.what());
    }
    int rename_error = 0;
    bool completed = job.Complete([&] {
      if (restored) rename_error = fs.Rename(temporary.string(), target.string());
      return rename_error == 0 ? answer : static_cast<char>(MessageType::kError);
    });
    if (restored && (!completed || rename_error != 0)) fs.Unlink(temporary.string());
    if (rename_error != 0) {
      spdlog::error("{}", SystemError("cannot rename the fetched file to", target.string(),
                                      rename_error)
                              .what());
    }
  });
  if (result == static_cast<char>(MessageType::kOk)) {
    spdlog::info("wal-fetch of {}: restored to {} in {}", name, destination, ElapsedText(start));
  } else if (result == static_cast<char>(MessageType::kNotArchived)) {
    spdlog::info("wal-fetch of {}: not archived", name);
  } else if (Clock::now() >= start + options_.request_timeout) {
    spdlog::error("wal-fetch of {} did not finish within {} (WALG_DAEMON_WAL_UPLOAD_TIMEOUT); "
                  "answered as failed",
                  name, SecondsText(options_.request_timeout));
  }
  return result;
}

void RunDaemon(const Folder& root, const PipelineOptions& pipeline, DaemonOptions options,
               const std::atomic<bool>& stop) {
  const std::string path = options.socket_path;
  DaemonServer server(root, pipeline, std::move(options));
  server.Listen();
  spdlog::info("daemon listening on {} (storage {})", path, root.storage().Describe());
  size_t abandoned = server.Serve(stop);
  if (abandoned > 0) {
    // Threads still use the server and the storage: nothing may be destroyed under them. What
    // they were doing is atomic in the storage (an upload never seen half done) and was answered
    // as failed, so PostgreSQL asks again.
    spdlog::error("daemon on {} stopped with {} requests still running past their deadline; "
                  "they are abandoned, PostgreSQL retries them",
                  path, abandoned);
    spdlog::default_logger()->flush();
    std::fflush(stderr);
    ::_exit(1);
  }
  spdlog::info("daemon on {} stopped", path);
}

}  // namespace walnut::daemon
