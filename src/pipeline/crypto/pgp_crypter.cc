#include "pipeline/crypto/pgp_crypter.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

using pgp::PgpKeyring;

// Thrown into librnp's loop (through a callback) when the stream is abandoned.
Error Abandoned() { return Error(ErrorCode::kCancelled, "OpenPGP: stream abandoned"); }

// Runs one librnp operation (pgp::Encrypt or pgp::Decrypt) on a pgp::QuietThread as a
// coroutine of the caller: each time the operation wants input or has output, it posts a request
// and waits; the caller's thread answers it, doing all the I/O itself. So the quiet thread
// touches no descriptor. It holds one kBatch buffer of input and one of output.
// The caller side is not thread-safe (one Writer or Reader owns it).
class RnpCoroutine {
 public:
  enum class Kind { kPull, kPush, kDone };
  struct Request {
    Kind kind = Kind::kDone;
    ByteSpan pull;               // kPull: where the caller puts input
    ConstByteSpan push;          // kPush: output for the caller
    std::exception_ptr failure;  // kDone: how the operation failed, or null
  };
  using Operation = std::function<void(const pgp::PullBytes&, const pgp::PushBytes&)>;

  explicit RnpCoroutine(Operation operation) : operation_(std::move(operation)) {}
  ~RnpCoroutine() { Finish(); }
  RnpCoroutine(const RnpCoroutine&) = delete;
  RnpCoroutine& operator=(const RnpCoroutine&) = delete;

  // The operation's pending request (starting it on the first call). Stays the same until
  // answered; after kDone, kDone forever.
  Request Await() {
    if (!thread_.joinable() && !finished_) thread_ = pgp::QuietThread([this] { Run(); });
    MutexLock lock(mu_);
    while (!posted_) cv_.Wait(mu_);
    return request_;
  }

  // Answers a kPull with `n` bytes put into its buffer (0: the input has ended), or a kPush as
  // taken.
  void Complete(size_t n) { Answer(n, nullptr); }
  // Answers the pending request with an exception, thrown into the operation.
  void Fail(std::exception_ptr failure) { Answer(0, std::move(failure)); }

  // Lets an unfinished operation unwind (every request answered with Abandoned) and waits for
  // its thread. Never throws.
  void Finish() noexcept {
    if (!thread_.joinable()) return;
    for (;;) {
      MutexLock lock(mu_);
      while (!posted_) cv_.Wait(mu_);
      if (request_.kind == Kind::kDone) break;
      posted_ = false;
      answer_failure_ = std::make_exception_ptr(Abandoned());
      answered_ = true;
      cv_.NotifyAll();
    }
    thread_.join();
    finished_ = true;
  }

 private:
  void Answer(size_t n, std::exception_ptr failure) {
    MutexLock lock(mu_);
    posted_ = false;
    answer_n_ = n;
    answer_failure_ = std::move(failure);
    answered_ = true;
    cv_.NotifyAll();
  }

  // On the quiet thread: posts `request` and waits for the answer.
  size_t Post(Request request) {
    MutexLock lock(mu_);
    request_ = std::move(request);
    posted_ = true;
    cv_.NotifyAll();
    while (!answered_) cv_.Wait(mu_);
    answered_ = false;
    if (answer_failure_) std::rethrow_exception(std::exchange(answer_failure_, nullptr));
    return answer_n_;
  }

  // librnp reads and writes a few KiB at a time; a hand-over per piece would cost two thread
  // switches each. The quiet thread gathers its output, and takes its input, in kBatch pieces.
  static constexpr size_t kBatch = 256 << 10;

  void Run() {
    std::exception_ptr failure;
    std::vector<std::byte> in(kBatch);
    size_t in_pos = 0, in_end = 0;
    std::vector<std::byte> out;
    out.reserve(kBatch);
    auto flush = [&] {
      if (out.empty()) return;
      Post(Request{Kind::kPush, {}, ConstByteSpan(out.data(), out.size()), nullptr});
      out.clear();
    };
    auto pull = [&](ByteSpan dst) -> size_t {
      if (in_pos == in_end) {
        flush();  // what is done goes out before the thread waits for more
        in_pos = 0;
        in_end = Post(Request{Kind::kPull, ByteSpan(in.data(), in.size()), {}, nullptr});
        if (in_end == 0) return 0;
      }
      size_t n = std::min(dst.size(), in_end - in_pos);
      std::memcpy(dst.data(), in.data() + in_pos, n);
      in_pos += n;
      return n;
    };
    auto push = [&](ConstByteSpan src) {
      if (out.size() + src.size() > kBatch) flush();
      if (src.size() >= kBatch) {
        Post(Request{Kind::kPush, {}, src, nullptr});
        return;
      }
      out.insert(out.end(), src.begin(), src.end());
    };
    try {
      operation_(pull, push);
      flush();
    } catch (...) {
      failure = std::current_exception();
    }
    MutexLock lock(mu_);
    request_ = Request{Kind::kDone, {}, {}, failure};
    posted_ = true;
    cv_.NotifyAll();
  }

  const Operation operation_;
  std::thread thread_;
  bool finished_ = false;  // the caller's thread only
  Mutex mu_;
  CondVar cv_;
  Request request_ GUARDED_BY(mu_);
  bool posted_ GUARDED_BY(mu_) = false;    // request_ awaits an answer (or is kDone)
  bool answered_ GUARDED_BY(mu_) = false;  // an answer awaits the quiet thread
  size_t answer_n_ GUARDED_BY(mu_) = 0;
  std::exception_ptr answer_failure_ GUARDED_BY(mu_);
};

// Encrypts with pgp::Encrypt: Write() feeds the caller's bytes to librnp and writes what comes
// out into `next` until librnp asks for more. Not thread-safe (as any Writer).
class PgpEncryptWriter : public Writer {
 public:
  PgpEncryptWriter(std::shared_ptr<const PgpKeyring> keys, std::unique_ptr<Writer> next)
      : next_(std::move(next)),
        rnp_([keys = std::move(keys)](const pgp::PullBytes& pull, const pgp::PushBytes& push) {
          pgp::Encrypt(*keys, pull, push);
        }) {
    if (!next_) throw Error(ErrorCode::kInternal, "OpenPGP: encrypting writer without downstream");
  }

  ~PgpEncryptWriter() override {
    if (state_ != State::kClosed && state_ != State::kAborted) Abort();
  }

  PgpEncryptWriter(const PgpEncryptWriter&) = delete;
  PgpEncryptWriter& operator=(const PgpEncryptWriter&) = delete;

  void Write(ConstByteSpan src) override {
    CheckOpen("write");
    state_ = State::kFailed;  // until this call returns normally
    while (!src.empty()) {
      RnpCoroutine::Request request = rnp_.Await();
      if (request.kind == RnpCoroutine::Kind::kPull) {
        size_t n = std::min(src.size(), request.pull.size());
        std::memcpy(request.pull.data(), src.data(), n);
        src = src.subspan(n);
        rnp_.Complete(n);
      } else {
        Forward(request);
      }
    }
    state_ = State::kOpen;
  }

  void Close() override {
    CheckOpen("close");
    state_ = State::kFailed;  // until next_ has committed
    for (;;) {
      RnpCoroutine::Request request = rnp_.Await();
      if (request.kind == RnpCoroutine::Kind::kPull) {
        rnp_.Complete(0);  // the end of the input
      } else if (request.kind == RnpCoroutine::Kind::kPush) {
        Forward(request);
      } else {
        if (request.failure) std::rethrow_exception(request.failure);
        break;
      }
    }
    rnp_.Finish();
    next_->Close();
    state_ = State::kClosed;
  }

  void Abort() noexcept override {
    if (state_ == State::kAborted) return;
    state_ = State::kAborted;
    rnp_.Finish();
    next_->Abort();
  }

 private:
  enum class State { kOpen, kClosed, kFailed, kAborted };

  void CheckOpen(const char* operation) const {
    if (state_ != State::kOpen) {
      throw Error(
          ErrorCode::kInternal,
          fmt::format("OpenPGP: {} on an encrypting writer that is no longer open", operation));
    }
  }

  // A kPush goes to `next`; a kDone before Close() is a failure.
  void Forward(const RnpCoroutine::Request& request) {
    if (request.kind == RnpCoroutine::Kind::kPush) {
      next_->Write(request.push);  // on failure the request stays unanswered: Abort() ends it
      rnp_.Complete(0);
      return;
    }
    if (request.failure) std::rethrow_exception(request.failure);
    throw Error(ErrorCode::kInternal, "OpenPGP: encryption ended before its input");
  }

  const std::unique_ptr<Writer> next_;
  RnpCoroutine rnp_;  // after next_: destroyed (its thread stopped) first
  State state_ = State::kOpen;
};

// Decrypts with pgp::Decrypt: Read() feeds librnp from `next` until it has plaintext. The end of
// the stream is reported only after librnp has authenticated the whole message. Not thread-safe
// (as any Reader).
class PgpDecryptReader : public Reader {
 public:
  PgpDecryptReader(std::shared_ptr<const PgpKeyring> keys, std::unique_ptr<Reader> next)
      : next_(std::move(next)),
        rnp_([keys = std::move(keys)](const pgp::PullBytes& pull, const pgp::PushBytes& push) {
          pgp::Decrypt(*keys, pull, push);
        }) {
    if (!next_) throw Error(ErrorCode::kInternal, "OpenPGP: decrypting reader without upstream");
  }

  size_t Read(ByteSpan dst) override {
    if (dst.empty()) return 0;
    for (;;) {
      RnpCoroutine::Request request = rnp_.Await();
      switch (request.kind) {
        case RnpCoroutine::Kind::kPull: {
          size_t n = 0;
          try {
            n = next_->Read(request.pull);
          } catch (...) {
            rnp_.Fail(std::current_exception());  // comes back as the operation's failure
            continue;
          }
          rnp_.Complete(n);
          continue;
        }
        case RnpCoroutine::Kind::kPush: {
          size_t n = std::min(dst.size(), request.push.size() - taken_);
          std::memcpy(dst.data(), request.push.data() + taken_, n);
          taken_ += n;
          if (taken_ == request.push.size()) {
            taken_ = 0;
            rnp_.Complete(0);
          }
          return n;
        }
        case RnpCoroutine::Kind::kDone:
          if (request.failure) std::rethrow_exception(request.failure);
          return 0;
      }
    }
  }

 private:
  const std::unique_ptr<Reader> next_;
  RnpCoroutine rnp_;  // after next_: destroyed (its thread stopped) first
  size_t taken_ = 0;  // bytes of the pending kPush already returned
};

}  // namespace

PgpCrypter::PgpCrypter(PgpKeyring keys, std::optional<SecretString> passphrase,
                       std::string passphrase_setting)
    : PgpCrypter([keys] { return keys; }, [keys] { return keys; }, std::move(passphrase),
                 std::move(passphrase_setting)) {}

PgpCrypter::PgpCrypter(KeyringLoader encryption_keys, KeyringLoader decryption_keys,
                       std::optional<SecretString> passphrase, std::string passphrase_setting)
    : encryption_loader_(std::move(encryption_keys)),
      decryption_loader_(std::move(decryption_keys)),
      passphrase_(std::move(passphrase)),
      passphrase_setting_(std::move(passphrase_setting)) {}

std::unique_ptr<Writer> PgpCrypter::WrapEncrypt(std::unique_ptr<Writer> next) const {
  return std::make_unique<PgpEncryptWriter>(EncryptionKeys(), std::move(next));
}

std::unique_ptr<Reader> PgpCrypter::WrapDecrypt(std::unique_ptr<Reader> next) const {
  return std::make_unique<PgpDecryptReader>(DecryptionKeys(), std::move(next));
}

std::shared_ptr<const PgpKeyring> PgpCrypter::EncryptionKeys() const {
  MutexLock lock(mu_);
  if (encryption_failure_) std::rethrow_exception(encryption_failure_);
  if (!encryption_keys_) {
    try {
      encryption_keys_ = std::make_shared<const PgpKeyring>(encryption_loader_());
    } catch (...) {
      encryption_failure_ = std::current_exception();
      throw;
    }
  }
  return encryption_keys_;
}

std::shared_ptr<const PgpKeyring> PgpCrypter::DecryptionKeys() const {
  MutexLock lock(mu_);
  if (unlock_failure_) std::rethrow_exception(unlock_failure_);
  if (unlocked_) return unlocked_;
  try {
    auto keys = std::make_shared<const PgpKeyring>(decryption_loader_());
    if (!keys->has_decryption_key()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: holds no secret key that can decrypt (only public keys); "
                              "reading the archive needs the secret key (WAL-G encrypts to the "
                              "public key and decrypts with the secret one)",
                              keys->source()));
    }
    if (!keys->decryption_key_protected()) {
      unlocked_ = keys;
    } else if (!passphrase_) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: the secret key is protected by a passphrase; set {}",
                              keys->source(), passphrase_setting_));
    } else {
      unlocked_ =
          std::make_shared<const PgpKeyring>(keys->Unlocked(*passphrase_, passphrase_setting_));
    }
  } catch (...) {
    unlock_failure_ = std::current_exception();
    throw;
  }
  return unlocked_;
}

}  // namespace walnut
