#include "storage/s3/credentials/credentials_provider.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"

namespace walnut::s3 {

namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// Credentials this close to their expiry are not used any more: a request signed now may reach
// the server a little later.
constexpr seconds kExpiryMargin{10};
// After a failed renewal, while the current credentials still work.
constexpr seconds kRenewalBackoff{10};

}  // namespace

WallClock SystemWallClock() {
  return [] { return std::chrono::system_clock::now(); };
}

StaticCredentialsProvider::StaticCredentialsProvider(Credentials credentials,
                                                     std::string description)
    : credentials_(std::move(credentials)), description_(std::move(description)) {}

bool SameCredentials(const Credentials& a, const Credentials& b) {
  return a.access_key_id == b.access_key_id && a.session_token.Reveal() == b.session_token.Reveal();
}

SystemTime RenewalTime(SystemTime fetched, SystemTime expiry) {
  auto lifetime = expiry - fetched;
  if (lifetime < minutes(10)) return fetched + lifetime / 2;
  return expiry - minutes(5);
}

RefreshingCredentialsProvider::RefreshingCredentialsProvider(
    std::unique_ptr<CredentialsFetcher> fetcher, WallClock clock)
    : fetcher_(std::move(fetcher)), clock_(std::move(clock)) {}

int RefreshingCredentialsProvider::fetches() const {
  MutexLock lock(mu_);
  return fetches_;
}

bool RefreshingCredentialsProvider::Usable(SystemTime now) const {
  return current_ && (!current_->expiry || now + kExpiryMargin < *current_->expiry);
}

// The analysis cannot follow a lock released and taken again inside one function; the
// function is entered and left with mu_ held, as declared.
void RefreshingCredentialsProvider::Renew(bool must_succeed) NO_THREAD_SAFETY_ANALYSIS {
  renewing_ = true;
  mu_.Unlock();
  std::optional<TimedCredentials> fresh;
  std::exception_ptr error;
  try {
    fresh = fetcher_->Fetch();
  } catch (...) {
    error = std::current_exception();
  }
  mu_.Lock();
  renewing_ = false;
  ++fetches_;
  renewed_.NotifyAll();
  SystemTime now = clock_();
  if (fresh) {
    // Very short lifetimes: renewed no later than the margin before the expiry.
    renew_at_ = fresh->expiry
                    ? std::min(RenewalTime(now, *fresh->expiry), *fresh->expiry - kExpiryMargin)
                    : SystemTime::max();
    current_ = std::move(*fresh);
    if (!Usable(now)) {
      throw Error(
          ErrorCode::kPermissionDenied,
          fmt::format("the credentials from {} have expired already (at {:%Y-%m-%dT%H:%M:%SZ}"
                      "); check the clock of this machine and the source",
                      fetcher_->Describe(),
                      std::chrono::floor<std::chrono::seconds>(*current_->expiry)));
    }
    return;
  }
  if (!must_succeed && Usable(now)) {
    next_attempt_ = now + kRenewalBackoff;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::warn("cannot renew the credentials yet (the current ones are still valid): {}",
                   e.what());
    }
    return;
  }
  std::rethrow_exception(error);
}

Credentials RefreshingCredentialsProvider::Current() {
  MutexLock lock(mu_);
  for (;;) {
    SystemTime now = clock_();
    if (current_ && now < renew_at_) return current_->credentials;
    if (renewing_) {
      // Another thread renews: sign with the current credentials while they last.
      if (Usable(now)) return current_->credentials;
      renewed_.Wait(mu_);
      continue;
    }
    if (Usable(now) && now < next_attempt_) return current_->credentials;
    Renew(/*must_succeed=*/false);
    return current_->credentials;
  }
}

bool RefreshingCredentialsProvider::RenewAfterRejection(const Credentials& rejected) {
  MutexLock lock(mu_);
  while (renewing_) renewed_.Wait(mu_);
  if (current_ && !SameCredentials(current_->credentials, rejected)) return true;
  Renew(/*must_succeed=*/true);
  return !SameCredentials(current_->credentials, rejected);
}

}  // namespace walnut::s3
