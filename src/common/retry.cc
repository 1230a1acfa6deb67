#include "common/retry.h"

#include <algorithm>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"

namespace walnut {

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt) {
  // With a budget, no backoff takes more than a tenth of it: a retry that does not fit is not
  // made, and a long last backoff would waste what is left of the budget.
  long long max_delay = policy.max_delay.count();
  if (policy.budget.count() > 0)
    max_delay = std::min<long long>(max_delay, policy.budget.count() / 10);
  auto cap = policy.base_delay.count();
  for (int i = 1; i < attempt && cap < max_delay; ++i) cap *= 2;
  cap = std::min<long long>(cap, max_delay);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<long long> dist(0, std::max<long long>(0, cap));
  return std::chrono::milliseconds(dist(rng));
}

void WithRetries(const RetryPolicy& policy, std::string_view what,
                 const std::function<void()>& fn) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point first_start = Clock::now();
  for (int attempt = 1;; ++attempt) {
    const Clock::time_point attempt_start = Clock::now();
    try {
      fn();
      return;
    } catch (const Error& e) {
      if (!e.retryable() || attempt >= policy.max_attempts) throw;
      auto delay = BackoffDelay(policy, attempt);
      if (policy.budget.count() > 0) {
        // The next attempt will likely fail as this one did, and take as long to.
        Clock::time_point now = Clock::now();
        if (now + delay + (now - attempt_start) >= first_start + policy.budget) throw;
      }
      spdlog::warn("{}: {} (attempt {} of {}, retrying in {} ms)", what, e.what(), attempt,
                   policy.max_attempts, delay.count());
      std::this_thread::sleep_for(delay);
    }
  }
}

void WithRetriesAccounted(const RetryPolicy& policy, std::string_view what,
                          const std::function<void()>& fn,
                          const std::function<std::string()>& advice) {
  int attempts = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    WithRetries(policy, what, [&] {
      ++attempts;
      fn();
    });
  } catch (const Error& e) {
    if (!e.retryable()) throw;
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    throw Error(e.code(),
                fmt::format("{}; gave up after {} attempt{} in {:.1f} s {}", e.what(), attempts,
                            attempts == 1 ? "" : "s", elapsed.count(), advice()),
                false);
  }
}

std::string SettingDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

}  // namespace walnut
