#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace walnut {

// Parsers for setting text, with WAL-G's (Go's) syntax. Each returns nullopt for text it does not
// accept; the caller reports the setting. Surrounding ASCII whitespace is ignored.

// Go strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
std::optional<bool> ParseSettingBool(std::string_view text);

// A decimal integer with an optional sign ("16", "-1", "+3"); nullopt on overflow.
std::optional<int64_t> ParseSettingInt(std::string_view text);

// Go time.ParseDuration: a sequence of decimal numbers with units ns, us (µs), ms, s, m, h, e.g.
// "300ms", "1.5h", "2h45m", "-1m"; a bare "0" is zero. nullopt on overflow (about 292 years).
std::optional<std::chrono::nanoseconds> ParseSettingDuration(std::string_view text);

// A byte count: digits, optionally followed by a unit b, k, kb, kib, m, mb, mib, g, gb, gib, t,
// tb, tib (any case; all powers of 1024, as WAL-G's datasize). "20971520", "20MiB", "1mb".
// nullopt on overflow or a negative number.
std::optional<uint64_t> ParseSettingBytes(std::string_view text);

}  // namespace walnut
