#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace walnut {

// How a setting's text is interpreted; Config's typed getters check it.
enum class SettingKind {
  kString,    // any text (paths, URLs, names)
  kBool,      // Go strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False
  kInt,       // decimal integer
  kBytes,     // a byte count: "1048576", "20MiB", "1mb" (units are powers of 1024, as WAL-G)
  kDuration,  // Go time.ParseDuration: "30s", "1m", "1h30m", "500ms", "0"
  kEnum,      // one of `accepted` (matched without regard to case)
  kJson,      // a JSON value; a config file may give it as a nested object
};

// What Walnut does with a setting it recognises. Every setting declares one (a test walks the
// registry): nothing is accepted and then silently ignored.
enum class SettingStatus {
  kUndeclared,   // a bug in the registry: the registry test fails on it
  kImplemented,  // read and honoured
  kRefused,      // set: the command fails with one line (status_note says why and what instead)
  kWarned,       // set: accepted with a warning (status_note); only where ignoring it can neither
                 // lose data nor weaken security
};

// "implemented", "refused", "warned", "undeclared".
std::string_view SettingStatusName(SettingStatus status);

// One setting Walnut knows: WAL-G's name, the other names WAL-G accepts for it, its default and
// how to read it. The registry is the single list of settings: the config file and flags are
// checked against it, `walnut flags` lists it.
struct SettingSpec {
  std::string_view name;                  // canonical, e.g. "WALG_S3_PREFIX"
  std::vector<std::string_view> aliases;  // e.g. "WALE_S3_PREFIX"; earlier ones win
  std::optional<std::string_view> default_value;
  SettingKind kind = SettingKind::kString;
  std::vector<std::string_view> accepted;  // kEnum: the values, in their canonical spelling
  bool secret = false;                     // never shown in listings, logs or error messages
  bool export_to_env = false;  // put into the process environment for libpq (PG* variables)
  std::string_view description;
  SettingStatus status = SettingStatus::kUndeclared;
  // kRefused: why, and what to use instead; kWarned: what is ignored. Shown in `walnut flags`.
  std::string_view status_note;
};

// Declares one setting readably, for the tables of the registry and of its extensions:
//   DefineSetting("WALG_UPLOAD_CONCURRENCY", SettingKind::kInt, "parallel uploads")
//       .Default("16").Implemented()
class DefineSetting {
 public:
  DefineSetting(std::string_view name, SettingKind kind, std::string_view description);

  DefineSetting& Default(std::string_view value);
  DefineSetting& Alias(std::string_view alias);
  // kEnum: the accepted values in canonical spelling (the views must outlive the program).
  DefineSetting& Accepts(std::vector<std::string_view> values);
  DefineSetting& Secret();
  DefineSetting& ExportToEnv();
  // A storage setting WAL-G looks up as WALG_<key>, WALE_<key> and <key>: adds the spellings
  // that are not the canonical name.
  DefineSetting& StorageKey(std::string_view key);

  DefineSetting& Implemented();
  // `note`: why the setting is refused and what to use instead.
  DefineSetting& Refused(std::string_view note);
  // `note`: what is ignored, for the warning.
  DefineSetting& Warned(std::string_view note);

  operator SettingSpec() const { return spec_; }  // NOLINT: builder conversion

 private:
  SettingSpec spec_;
};

// Adds settings that a module above config/ owns (a storage backend's, a codec's, a crypter's)
// to the registry. Call it at start-up, before anything looks a setting up (the registry is
// frozen then: a later call throws kInternal, as does a name registered twice). Registering the
// same list again is a no-op, so that tests may call the installer more than once.
// REQUIRES: single-threaded start-up.
void RegisterSettingSpecs(std::span<const SettingSpec> specs);

// Every setting: config's own, then the registered ones, in listing order (grouped by topic).
// Lives for the whole program. Thread-safe once frozen.
std::span<const SettingSpec> AllSettingSpecs();

// The setting called `name` (canonical or alias, exact upper case). nullptr when unknown.
const SettingSpec* FindSettingSpec(std::string_view name);

// The setting whose flag is `--<flag>` (`flag` without the dashes, e.g. "walg-s3-prefix"; aliases
// have flags too, e.g. "wale-s3-prefix"). nullptr when unknown. Returns the matched name as well.
struct FlagMatch {
  const SettingSpec* spec = nullptr;
  std::string_view name;  // the canonical name or alias the flag spells
};
FlagMatch FindSettingSpecByFlag(std::string_view flag);

// WAL-G's flag name for a setting: lower case, '_' -> '-' ("WALG_S3_PREFIX" -> "walg-s3-prefix").
std::string ToFlagName(std::string_view setting_name);

// The known setting closest to `unknown` (edit distance <= 2), for "did you mean" hints; "" if
// none.
std::string_view SuggestSettingName(std::string_view unknown);

}  // namespace walnut
