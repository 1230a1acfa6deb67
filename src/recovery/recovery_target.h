#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/rfc3339.h"
#include "postgres/lsn.h"

namespace walnut::recovery {

// What backup-fetch was asked to set up for PostgreSQL's recovery (its --target-* and --standby
// flags), validated. PostgreSQL 12 and later: a signal file and settings in postgresql.auto.conf.
struct RecoveryRequest {
  enum class Kind { kNone, kTime, kLsn, kXid, kName, kImmediate };
  Kind kind = Kind::kNone;
  // The value as PostgreSQL gets it: for kTime the instant in UTC ("2026-12-07T20:01:02.5Z"),
  // whatever form was given; "" for kNone and kImmediate.
  std::string value;
  std::optional<Timestamp> time;  // kTime
  std::optional<pg::Lsn> lsn;     // kLsn
  bool exclusive = false;         // recovery_target_inclusive = off (kTime, kLsn, kXid)
  std::string timeline;           // "", "latest", "current" or a decimal timeline id
  std::string action;             // "", "promote", "pause" or "shutdown"
  bool standby = false;           // standby.signal instead of recovery.signal

  // Whether any recovery flag was given: otherwise backup-fetch only restores files, as WAL-G's.
  bool Requested() const { return kind != Kind::kNone || !timeline.empty() || standby; }
};

// "time", "lsn", "xid", "name", "immediate" ("" for kNone): the flag's suffix.
std::string_view KindName(RecoveryRequest::Kind kind);

// The flags as given on the command line; "" (false) when absent.
struct RecoveryFlags {
  std::string target_time;
  std::string target_lsn;
  std::string target_xid;
  std::string target_name;
  bool target_immediate = false;
  std::string target_timeline;
  std::string target_action;
  bool target_exclusive = false;
  bool standby = false;
};

// Validates the flags together. Throws kInvalidArgument with one line naming the flag and what
// is accepted: more than one target kind; a time PostgreSQL would not read as the same instant
// (see ParseTargetTime); an LSN not "X/X"; an xid not a decimal number of at least 3; a name
// empty or of 64 bytes or more; a timeline not latest, current or a positive number; an action
// not promote, pause or shutdown, or given without a target; --target-exclusive without a time,
// LSN or xid target.
RecoveryRequest ParseRecoveryFlags(const RecoveryFlags& flags);

// A recovery_target_time as given: "YYYY-MM-DD", optionally followed by 'T' or a space and
// "HH:MM[:SS[.fraction]]", then optionally a zone: "Z", "UTC", "GMT", or "+hh", "+hhmm", "+hh:mm"
// (or '-'), with or without a space before it. Without a zone the time is local (the TZ of this
// process), as pgBackRest reads it; the caller then hands PostgreSQL the instant with its offset,
// so the server's own TimeZone cannot move it. nullopt for anything else (PostgreSQL's other
// spellings, "now", names of zones other than UTC/GMT).
std::optional<Timestamp> ParseTargetTime(std::string_view text);

// The settings to put in postgresql.auto.conf, in order. Every recovery_target kind is written,
// the unused ones empty and before the chosen one: PostgreSQL 12 refuses a second target kind
// (from postgresql.conf, say) and a later line of the same name overrides an earlier one.
std::vector<std::pair<std::string, std::string>> RecoverySettings(
    const RecoveryRequest& request, const std::string& restore_command);

// `text` (postgresql.auto.conf, possibly empty) with every earlier restore_command and
// recovery_target* line commented out ("# Removed by walnut backup-fetch: <line>") and `settings`
// appended after a comment line `header`. The file ALTER SYSTEM writes: name = 'value', single
// quotes doubled. A missing file gets ALTER SYSTEM's two header lines.
std::string RewriteAutoConf(std::string_view text, std::string_view header,
                            const std::vector<std::pair<std::string, std::string>>& settings);

// restore_command's value: `environment` as NAME='value' shell assignments, then the binary and,
// when `config_file` is not empty, --config FILE, then "wal-fetch %f %p". Every word is
// shell-quoted and every '%' of them doubled (PostgreSQL reads %f, %p, %r and %%).
std::string FormatRestoreCommand(
    const std::string& binary, const std::string& config_file,
    const std::vector<std::pair<std::string, std::string>>& environment);

}  // namespace walnut::recovery
