// libFuzzer target over backup-fetch's rewrite of postgresql.auto.conf, whose text comes from the
// backup (storage: untrusted), and over the --target-time parser. The rewrite must keep every line
// of the input (commented out or not), in order, and end with the settings it was given; a parsed
// time must fall in the years the parser promises.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "recovery/recovery_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string out = walnut::recovery::RewriteAutoConf(
      text, "header", {{"restore_command", "x %f %p"}, {"recovery_target_name", "it's"}});
  constexpr std::string_view kTail =
      "# header\nrestore_command = 'x %f %p'\nrecovery_target_name = 'it''s'\n";
  if (out.size() < kTail.size() || out.substr(out.size() - kTail.size()) != kTail) {
    __builtin_trap();
  }
  size_t found = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    found = out.find(line, found);
    if (found == std::string::npos) __builtin_trap();
    found += line.size();
    if (end == std::string_view::npos) break;
    start = end + 1;
  }

  if (auto time = walnut::recovery::ParseTargetTime(text.substr(0, 64))) {
    auto days = std::chrono::floor<std::chrono::days>(*time);
    auto year = static_cast<int>(std::chrono::year_month_day(days).year());
    if (year < 1899 || year > 2201) __builtin_trap();  // a zone may cross a year's edge
  }
  return 0;
}
