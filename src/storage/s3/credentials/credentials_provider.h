#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/mutex.h"
#include "storage/s3/sigv4.h"

namespace walnut::s3 {

using SystemTime = std::chrono::system_clock::time_point;
// Now, for the refresh timing; tests pass their own.
using WallClock = std::function<SystemTime()>;
WallClock SystemWallClock();

// Credentials and when they stop working (nullopt: never, as static keys).
struct TimedCredentials {
  Credentials credentials;
  std::optional<SystemTime> expiry;
};

// Where S3Client gets the credentials it signs each request with. Thread-safe.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // The credentials for the next request. Throws Error (not retryable) naming the source when
  // none can be had: a credentials file that does not parse, an STS refusal, expired credentials
  // that cannot be renewed.
  virtual Credentials Current() = 0;
  // The server refused `rejected` as expired or invalid (ExpiredToken): renews them, unless
  // another thread already did. Returns whether Current() now gives different credentials; static
  // credentials never do. Throws as Current().
  virtual bool RenewAfterRejection(const Credentials& rejected) = 0;
  // "environment (AWS_ACCESS_KEY_ID)", "web identity (AWS_ROLE_ARN=arn:...)": for messages.
  virtual std::string Describe() const = 0;
};

// Fixed credentials: environment keys, a profile's keys, anonymous.
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  StaticCredentialsProvider(Credentials credentials, std::string description);
  Credentials Current() override { return credentials_; }
  bool RenewAfterRejection(const Credentials&) override { return false; }
  std::string Describe() const override { return description_; }

 private:
  const Credentials credentials_;
  const std::string description_;
};

// One way to obtain temporary credentials (STS, a metadata endpoint, credential_process).
class CredentialsFetcher {
 public:
  virtual ~CredentialsFetcher() = default;
  // Fresh credentials. Throws Error whose message names the source.
  virtual TimedCredentials Fetch() = 0;
  virtual std::string Describe() const = 0;
};

// When credentials fetched at `fetched` and expiring at `expiry` are renewed: 5 minutes before
// they expire (as the AWS SDKs), or at half their lifetime when that is shorter than 10 minutes,
// so 60-second credentials are renewed after 30 s and a long command never signs with expired
// ones.
SystemTime RenewalTime(SystemTime fetched, SystemTime expiry);

// Caches a fetcher's credentials and renews them at RenewalTime, inside long commands. One
// thread renews while the others keep signing with the still valid credentials; only when they
// have expired do the others wait for the renewal. A failed renewal while the old credentials
// are still valid is logged and tried again (at most every 10 s); once they expire it is the
// error. Thread-safe.
class RefreshingCredentialsProvider final : public CredentialsProvider {
 public:
  explicit RefreshingCredentialsProvider(std::unique_ptr<CredentialsFetcher> fetcher,
                                         WallClock clock = SystemWallClock());

  Credentials Current() override;
  bool RenewAfterRejection(const Credentials& rejected) override;
  std::string Describe() const override { return fetcher_->Describe(); }

  // Fetches so far (for tests and diagnostics).
  int fetches() const;

 private:
  // Fetches with mu_ released; one caller at a time (renewing_).
  void Renew(bool must_succeed) REQUIRES(mu_);
  bool Usable(SystemTime now) const REQUIRES(mu_);

  const std::unique_ptr<CredentialsFetcher> fetcher_;
  const WallClock clock_;
  mutable Mutex mu_;
  CondVar renewed_;
  std::optional<TimedCredentials> current_ GUARDED_BY(mu_);
  SystemTime renew_at_ GUARDED_BY(mu_);
  SystemTime next_attempt_ GUARDED_BY(mu_);  // after a failed renewal
  bool renewing_ GUARDED_BY(mu_) = false;
  int fetches_ GUARDED_BY(mu_) = 0;
  uint64_t generation_ GUARDED_BY(mu_) = 0;
};

// Whether two credential sets are the same (key id and session token).
bool SameCredentials(const Credentials& a, const Credentials& b);

}  // namespace walnut::s3
