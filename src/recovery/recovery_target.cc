#include "recovery/recovery_target.h"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>

#include "common/error.h"
#include "common/shell_quote.h"

namespace walnut::recovery {
namespace {

using Kind = RecoveryRequest::Kind;

[[noreturn]] void Invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

// Reads exactly `width` decimal digits at `pos`.
bool Digits(std::string_view text, size_t& pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  out = value;
  return true;
}

bool Consume(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// A zone at the end of a time: Z, UTC, GMT or +hh[[:]mm]; the offset east of UTC in minutes.
std::optional<int> ParseZone(std::string_view zone) {
  std::string lower;
  for (char c : zone) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "z" || lower == "utc" || lower == "gmt") return 0;
  if (zone.empty() || (zone[0] != '+' && zone[0] != '-')) return std::nullopt;
  const int sign = zone[0] == '-' ? -1 : 1;
  size_t pos = 1;
  int hours = 0;
  int minutes = 0;
  if (!Digits(zone, pos, 2, hours)) return std::nullopt;
  if (pos < zone.size()) {
    Consume(zone, pos, ':');
    if (!Digits(zone, pos, 2, minutes) || pos != zone.size()) return std::nullopt;
  }
  if (hours > 15 || minutes > 59) return std::nullopt;
  return sign * (hours * 60 + minutes);
}

// PostgreSQL's form of an instant, in UTC and to the microsecond: "2026-12-07 20:01:02.5+00".
std::string FormatForPostgres(Timestamp t) {
  auto micros = std::chrono::floor<std::chrono::microseconds>(t);
  auto seconds = std::chrono::floor<std::chrono::seconds>(micros);
  auto fraction = (micros - seconds).count();
  std::string text = FormatRfc3339(Timestamp(seconds));  // 2025-12-20T02:00:01Z
  text[10] = ' ';
  text.pop_back();
  if (fraction != 0) {
    std::string digits = fmt::format("{:06d}", fraction);
    while (digits.back() == '0') digits.pop_back();
    text += "." + digits;
  }
  return text + "+00";
}

bool IsDecimal(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string QuoteConfValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += c;  // doubled, as ALTER SYSTEM writes them
    out += c;
  }
  return out + "'";
}

std::string DoublePercent(std::string_view word) {
  std::string out;
  for (char c : word) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

// The settings backup-fetch replaces in postgresql.auto.conf (lower case, as GUC names compare).
constexpr std::array<std::string_view, 9> kReplacedSettings = {
    "restore_command",           "recovery_target",          "recovery_target_lsn",
    "recovery_target_name",      "recovery_target_time",     "recovery_target_xid",
    "recovery_target_inclusive", "recovery_target_timeline", "recovery_target_action"};

bool IsReplacedSettingLine(std::string_view line) {
  size_t pos = line.find_first_not_of(" \t");
  if (pos == std::string_view::npos) return false;
  size_t end = pos;
  while (end < line.size() &&
         (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '_')) {
    ++end;
  }
  if (end == pos) return false;
  if (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '=') {
    return false;
  }
  std::string name;
  for (size_t i = pos; i < end; ++i) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(line[i])));
  }
  for (std::string_view replaced : kReplacedSettings) {
    if (name == replaced) return true;
  }
  return false;
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "";
    case Kind::kTime:
      return "time";
    case Kind::kLsn:
      return "lsn";
    case Kind::kXid:
      return "xid";
    case Kind::kName:
      return "name";
    case Kind::kImmediate:
      return "immediate";
  }
  return "";
}

std::optional<Timestamp> ParseTargetTime(std::string_view text) {
  size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (!Digits(text, pos, 4, year) || !Consume(text, pos, '-') || !Digits(text, pos, 2, month) ||
      !Consume(text, pos, '-') || !Digits(text, pos, 2, day)) {
    return std::nullopt;
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t nanos = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    const size_t separator = pos++;
    if (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (!Digits(text, pos, 2, hour) || !Consume(text, pos, ':') ||
          !Digits(text, pos, 2, minute)) {
        return std::nullopt;
      }
      if (Consume(text, pos, ':')) {
        if (!Digits(text, pos, 2, second)) return std::nullopt;
        if (Consume(text, pos, '.')) {
          int digits = 0;
          int64_t scale = 1'000'000'000;
          while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
            if (++digits > 9) return std::nullopt;
            scale /= 10;
            nanos += (text[pos++] - '0') * scale;
          }
          if (digits == 0) return std::nullopt;
        }
      }
    } else if (text[separator] != ' ') {
      return std::nullopt;  // "2026-12-07T" and nothing after
    }
  }
  while (pos < text.size() && text[pos] == ' ') ++pos;
  std::optional<int> offset_minutes;
  if (pos < text.size()) {
    offset_minutes = ParseZone(text.substr(pos));
    if (!offset_minutes) return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (year < 1900 || year > 2200 || !date.ok() || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  // PostgreSQL keeps microseconds: round as it does, so that what is compared is what it reads.
  const auto fraction =
      std::chrono::round<std::chrono::microseconds>(std::chrono::nanoseconds(nanos));
  Timestamp wall = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                   std::chrono::minutes(minute) + std::chrono::seconds(second) + fraction;
  if (offset_minutes) return wall - std::chrono::minutes(*offset_minutes);
  // Local time: mktime applies TZ and daylight saving for that date.
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  std::time_t seconds = std::mktime(&tm);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return Timestamp(std::chrono::seconds(seconds)) + fraction;
}

RecoveryRequest ParseRecoveryFlags(const RecoveryFlags& flags) {
  RecoveryRequest request;
  int kinds = 0;
  auto choose = [&](bool given, Kind kind) {
    if (!given) return;
    ++kinds;
    request.kind = kind;
  };
  choose(!flags.target_time.empty(), Kind::kTime);
  choose(!flags.target_lsn.empty(), Kind::kLsn);
  choose(!flags.target_xid.empty(), Kind::kXid);
  choose(!flags.target_name.empty(), Kind::kName);
  choose(flags.target_immediate, Kind::kImmediate);
  if (kinds > 1) {
    Invalid(
        "give one recovery target only: --target-time, --target-lsn, --target-xid, --target-name "
        "and --target-immediate exclude each other");
  }
  switch (request.kind) {
    case Kind::kTime: {
      request.time = ParseTargetTime(flags.target_time);
      if (!request.time) {
        Invalid(fmt::format(
            "--target-time '{}': give a time as 2026-12-07 14:30:00[.123456][+01[:00]|Z|UTC] "
            "(ISO 8601; without a zone it is local time)",
            flags.target_time));
      }
      request.value = FormatForPostgres(*request.time);
      break;
    }
    case Kind::kLsn: {
      try {
        request.lsn = pg::ParseLsn(flags.target_lsn);
      } catch (const Error&) {
        Invalid(
            fmt::format("--target-lsn '{}': give an LSN as PostgreSQL prints it, X/X in hex "
                        "(16/B374D848)",
                        flags.target_lsn));
      }
      request.value = pg::FormatLsn(*request.lsn);
      break;
    }
    case Kind::kXid: {
      uint64_t xid = 0;
      const std::string& text = flags.target_xid;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), xid);
      if (!IsDecimal(text) || ec != std::errc() || end != text.data() + text.size() || xid < 3) {
        Invalid(
            fmt::format("--target-xid '{}': give a transaction id, a decimal number of at "
                        "least 3 (as txid_current() or pg_current_xact_id() print it)",
                        text));
      }
      request.value = std::to_string(xid);
      break;
    }
    case Kind::kName:
      if (flags.target_name.size() >= 64) {
        Invalid(fmt::format("--target-name '{}': a restore point name has at most 63 bytes",
                            flags.target_name));
      }
      request.value = flags.target_name;
      break;
    case Kind::kImmediate:
    case Kind::kNone:
      break;
  }
  if (!flags.target_timeline.empty()) {
    const std::string& tl = flags.target_timeline;
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(tl.data(), tl.data() + tl.size(), id);
    const bool number = IsDecimal(tl) && ec == std::errc() && end == tl.data() + tl.size() &&
                        id >= 1 && id <= UINT32_MAX;
    if (tl != "latest" && tl != "current" && !number) {
      Invalid(fmt::format(
          "--target-timeline '{}': give latest, current or a timeline id (a positive number)", tl));
    }
    request.timeline = number ? std::to_string(id) : tl;
  }
  if (!flags.target_action.empty()) {
    const std::string& action = flags.target_action;
    if (action != "promote" && action != "pause" && action != "shutdown") {
      Invalid(fmt::format("--target-action '{}': give promote, pause or shutdown", action));
    }
    if (request.kind == Kind::kNone) {
      Invalid(
          fmt::format("--target-action {} needs a recovery target: --target-time, --target-lsn, "
                      "--target-xid, --target-name or --target-immediate",
                      action));
    }
    request.action = action;
  }
  if (flags.target_exclusive) {
    if (request.kind != Kind::kTime && request.kind != Kind::kLsn && request.kind != Kind::kXid) {
      Invalid("--target-exclusive needs --target-time, --target-lsn or --target-xid");
    }
    request.exclusive = true;
  }
  request.standby = flags.standby;
  return request;
}

std::vector<std::pair<std::string, std::string>> RecoverySettings(
    const RecoveryRequest& request, const std::string& restore_command) {
  std::vector<std::pair<std::string, std::string>> settings;
  settings.emplace_back("restore_command", restore_command);
  static constexpr std::array<std::pair<Kind, std::string_view>, 5> kTargets = {{
      {Kind::kImmediate, "recovery_target"},
      {Kind::kLsn, "recovery_target_lsn"},
      {Kind::kName, "recovery_target_name"},
      {Kind::kTime, "recovery_target_time"},
      {Kind::kXid, "recovery_target_xid"},
  }};
  std::string chosen;
  for (const auto& [kind, name] : kTargets) {
    if (kind == request.kind) {
      chosen = name;
    } else {
      settings.emplace_back(name, "");
    }
  }
  if (!chosen.empty()) {
    settings.emplace_back(chosen, request.kind == Kind::kImmediate ? "immediate" : request.value);
  }
  if (request.exclusive) settings.emplace_back("recovery_target_inclusive", "off");
  if (!request.timeline.empty())
    settings.emplace_back("recovery_target_timeline", request.timeline);
  if (!request.action.empty()) settings.emplace_back("recovery_target_action", request.action);
  return settings;
}

std::string RewriteAutoConf(std::string_view text, std::string_view header,
                            const std::vector<std::pair<std::string, std::string>>& settings) {
  std::string out;
  if (text.empty()) {
    out =
        "# Do not edit this file manually!\n"
        "# It will be overwritten by the ALTER SYSTEM command.\n";
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (IsReplacedSettingLine(line)) out += "# Removed by walnut backup-fetch: ";
    out += line;
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out += "# ";
  out += header;
  out += '\n';
  for (const auto& [name, value] : settings) {
    out += name + " = " + QuoteConfValue(value) + "\n";
  }
  return out;
}

std::string FormatRestoreCommand(
    const std::string& binary, const std::string& config_file,
    const std::vector<std::pair<std::string, std::string>>& environment) {
  std::string command;
  for (const auto& [name, value] : environment) {
    command += DoublePercent(name + "=" + ShellQuote(value)) + " ";
  }
  command += DoublePercent(ShellQuote(binary));
  if (!config_file.empty()) command += " --config " + DoublePercent(ShellQuote(config_file));
  return command + " wal-fetch %f %p";
}

}  // namespace walnut::recovery
