#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace walnut {

// Exponential backoff with full jitter: attempt k (from 1) sleeps a random time in
// [0, min(max_delay, base_delay * 2^(k-1))] before trying again; with a budget, max_delay is at
// most a tenth of it.
struct RetryPolicy {
  int max_attempts = 5;  // including the first
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{10000};
  // The time one call may take, from its first attempt until it gives up: no retry starts whose
  // backoff, plus the time the failed attempt took, would end beyond it. An endpoint that fails
  // the same way every time (refused, silent) is so given up on within the budget. 0: no limit.
  std::chrono::milliseconds budget{0};
};

// Calls fn until it returns without throwing. Retries only Error exceptions marked retryable(),
// logging each retry with `what`, while attempts and budget last; rethrows anything else at once,
// and the last error when the attempts or the budget run out.
void WithRetries(const RetryPolicy& policy, std::string_view what, const std::function<void()>& fn);

// WithRetries, for a storage request: a last error that retrying might have cured is rethrown no
// longer retryable (callers must not start over: retries are never stacked), with an account of
// what was tried appended: "<error>; gave up after N attempts in T s <advice()>".
void WithRetriesAccounted(const RetryPolicy& policy, std::string_view what,
                          const std::function<void()>& fn,
                          const std::function<std::string()>& advice);

// "30s", "1500ms": a duration as the settings spell it.
std::string SettingDuration(std::chrono::milliseconds d);

// The delay before retry number `attempt` (1-based); exposed for tests.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt);

}  // namespace walnut
