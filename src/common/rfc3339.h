#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace walnut {

// A point in time with nanoseconds, as Go's time.Time in WAL-G's JSON documents. Walnut keeps UTC
// only: offsets in documents written elsewhere ("+03:00", Go's local MTime) are applied on read.
using Timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

// Go's zero time.Time ("0001-01-01T00:00:00Z", what WAL-G writes for a time it never set) reads
// as, and writes back from, this value: the epoch itself is never a backup's time.
inline constexpr Timestamp kGoZeroTime{};

// Go's time.RFC3339Nano in UTC: "2025-12-20T02:00:01.793015Z" (trailing zeros of the fraction
// trimmed, no fraction at all for whole seconds, "Z").
std::string FormatRfc3339Nano(Timestamp t);
// Go's time.RFC3339 in UTC: "2025-12-20T02:00:01Z" (backup-list's plain output).
std::string FormatRfc3339(Timestamp t);

// Parses RFC 3339 with an optional fraction of 1-9 digits and "Z" or "+hh:mm"/"-hh:mm" (what Go's
// time.Time.UnmarshalJSON accepts). nullopt for anything else or a time outside the years
// 1678..2261 (the nanosecond range of Timestamp), except Go's zero time, which gives kGoZeroTime.
std::optional<Timestamp> ParseRfc3339(std::string_view text);

}  // namespace walnut
