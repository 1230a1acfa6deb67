#include "cli/progress_line.h"

#include <cstdio>
#include <utility>

#include <fmt/format.h>
#include <unistd.h>

namespace walnut {

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

ProgressLine::ProgressLine(std::string label, uint64_t total_bytes, bool interactive,
                           std::function<void(std::string_view)> write,
                           std::function<Clock::time_point()> now, Clock::duration min_interval)
    : label_(std::move(label)),
      total_(total_bytes),
      interactive_(interactive),
      write_(std::move(write)),
      now_(std::move(now)),
      min_interval_(min_interval),
      start_(now_()) {}

ProgressLine ProgressLine::ForStderr(std::string label, uint64_t total_bytes) {
  return ProgressLine(std::move(label), total_bytes, ::isatty(STDERR_FILENO) == 1,
                      [](std::string_view text) {
                        std::fwrite(text.data(), 1, text.size(), stderr);
                        std::fflush(stderr);
                      });
}

std::string ProgressLine::Format(std::string_view label, uint64_t done, uint64_t total,
                                 Clock::duration elapsed) {
  double seconds = std::chrono::duration<double>(elapsed).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string text = fmt::format("{}: {}", label, HumanBytes(static_cast<double>(done)));
  if (total > 0) {
    // The total is an estimate taken before the copy: never show more than 100%.
    uint64_t percent = std::min<uint64_t>(100, done * 100 / total);
    text += fmt::format(" of {} ({}%)", HumanBytes(static_cast<double>(total)), percent);
  }
  text += fmt::format(", {}/s", HumanBytes(rate));
  if (total > 0 && rate > 0) {
    uint64_t left =
        done >= total ? 0 : static_cast<uint64_t>(static_cast<double>(total - done) / rate);
    text += fmt::format(", ETA {}:{:02}:{:02}", left / 3600, left / 60 % 60, left % 60);
  }
  return text;
}

void ProgressLine::DrawLocked(Clock::time_point now) {
  std::string text = Format(label_, done_, total_, now - start_);
  size_t width = text.size();
  // Blank out what a longer previous line left behind.
  if (width < last_width_) text.append(last_width_ - width, ' ');
  last_width_ = width;
  write_("\r" + text);
  last_draw_ = now;
}

void ProgressLine::Add(uint64_t bytes) {
  MutexLock lock(mu_);
  done_ += bytes;
  if (!interactive_ || finished_) return;
  Clock::time_point now = now_();
  if (now - last_draw_ >= min_interval_) DrawLocked(now);
}

void ProgressLine::Finish() {
  MutexLock lock(mu_);
  if (!interactive_ || finished_) return;
  finished_ = true;
  DrawLocked(now_());
  write_("\n");
}

uint64_t ProgressLine::done() const {
  MutexLock lock(mu_);
  return done_;
}

}  // namespace walnut
