#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/mutex.h"

namespace walnut {

// A one-line progress display for long commands: "backup-push: 1.2 GiB of 4.0 GiB (30%),
// 210.5 MiB/s, ETA 0:15", redrawn in place with '\r' at most every `min_interval` on a terminal.
// Off a terminal it draws nothing (the command logs an INFO line per finished part instead).
// Thread-safe: workers report bytes from several threads.
class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;

  // `write` receives what to print (tests capture it); `total_bytes` 0 means unknown (no ETA).
  ProgressLine(std::string label, uint64_t total_bytes, bool interactive,
               std::function<void(std::string_view)> write,
               std::function<Clock::time_point()> now = Clock::now,
               Clock::duration min_interval = std::chrono::milliseconds(250));

  // A line on standard error when it is a terminal (isatty), else inactive.
  static ProgressLine ForStderr(std::string label, uint64_t total_bytes);

  void Add(uint64_t bytes);
  // Draws the final state and ends the line (interactive only). Idempotent.
  void Finish();

  bool interactive() const { return interactive_; }
  uint64_t done() const;

  // The text of the line, without '\r' (exposed for tests).
  static std::string Format(std::string_view label, uint64_t done, uint64_t total,
                            Clock::duration elapsed);

 private:
  void DrawLocked(Clock::time_point now) REQUIRES(mu_);

  const std::string label_;
  const uint64_t total_;
  const bool interactive_;
  std::function<void(std::string_view)> write_;
  std::function<Clock::time_point()> now_;
  const Clock::duration min_interval_;
  const Clock::time_point start_;
  mutable Mutex mu_;
  uint64_t done_ GUARDED_BY(mu_) = 0;
  Clock::time_point last_draw_ GUARDED_BY(mu_);
  size_t last_width_ GUARDED_BY(mu_) = 0;
  bool finished_ GUARDED_BY(mu_) = false;
};

// "1.5 GiB", "200.0 MiB", "512 B".
std::string HumanBytes(double bytes);

}  // namespace walnut
