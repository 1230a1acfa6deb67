#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_file.h"
#include "config/environment.h"
#include "config/setting_flags.h"

namespace walnut {

// Where a setting's value came from, lowest precedence first.
enum class SettingSource { kUnset, kDefault, kFile, kEnvironment, kFlag };

// "unset", "default", "file", "env", "flag".
std::string_view SettingSourceName(SettingSource source);

// Every setting's value, resolved WAL-G's way: a flag beats the environment, which beats the config
// file, which beats the built-in default. Within one source the canonical name beats its aliases
// (WALG_S3_PREFIX over WALE_S3_PREFIX). Values have trailing CR/LF removed (as WAL-G's GetSetting),
// and an empty value counts as not set (as viper treats empty environment variables).
//
// Differences from WAL-G, on purpose: precedence is by source first and spelling second (WAL-G
// lets a WALG_ name in the file beat a WALE_ name in the environment); an unreadable or broken
// config file is an error, not a warning (silently dropping it could drop the encryption key).
//
// Immutable after construction. Thread-safe.
class Config {
 public:
  using Values = std::map<std::string, std::string, std::less<>>;

  // Reads the config file and resolves everything. The file is flags.config_path, else
  // WALG_CONFIG_PATH from `env`, else the first of $HOME/.walg.json, .walg.yaml, .walg.yml (HOME
  // from `env`, else the user's passwd entry); no file at the default place is fine.
  // Throws as ReadConfigFile for a named file that is missing or broken, or a default one that is
  // broken.
  static Config Load(const SettingFlags& flags, const Environment& env);

  // From explicit sources: `flags` and `env` keyed by setting name (canonical or alias; other
  // environment variables are ignored), `file` as ReadConfigFile returns it.
  Config(Values flags, const Environment& env, ConfigFileValues file = {});

  // The value, or the default, or nullopt. `name` is a canonical setting name or an alias;
  // REQUIRES: a known setting (throws kInternal otherwise: a programming error).
  std::optional<std::string> Get(std::string_view name) const;
  // Whether Get() has a value (set, or defaulted).
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Set by a flag, the environment or the file (not just defaulted).
  bool IsExplicit(std::string_view name) const;
  SettingSource Source(std::string_view name) const;
  // The spelling that supplied the value ("WALE_S3_PREFIX"); the canonical name when defaulted or
  // unset. Messages should use it: it is what the user wrote.
  std::string_view SpelledName(std::string_view name) const;

  // Typed access. Each throws kInvalidArgument naming the setting (as spelled by the user), where
  // it came from, the bad value (unless the setting is secret) and what is accepted; and when the
  // setting has no value at all.
  std::string GetString(std::string_view name) const;
  int64_t GetInt(std::string_view name, int64_t min, int64_t max) const;
  bool GetBool(std::string_view name) const;
  uint64_t GetBytes(std::string_view name, uint64_t min, uint64_t max) const;
  // A non-negative Go duration ("30s", "1m").
  std::chrono::nanoseconds GetDuration(std::string_view name) const;
  // One of the setting's accepted values, matched ignoring case, returned in canonical spelling.
  std::string GetEnum(std::string_view name) const;

  // Throws kInvalidArgument "<setting> (<source>): <problem>" with the value hidden when secret.
  // For validation that needs more than one setting (LoadSettings).
  [[noreturn]] void ThrowInvalid(std::string_view name, std::string_view problem) const;

  // Whether anything asked for the setting's value (Get, Has, a typed getter) since construction.
  // The settings registry test uses it to find "implemented" settings that nothing reads.
  bool WasRead(std::string_view name) const;

  // The config file read, "" when none.
  const std::string& file_path() const { return file_path_; }
  // Problems that do not stop the command, for the caller to log as warnings: unknown keys in the
  // config file ("WALG_FOO is unknown"), conflicting spellings, skipped config files.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The PG* variables (PGHOST, PGPASSWORD, PGAPPNAME, PGDATA, ...) whose resolved value is not
  // already in the environment, i.e. what ExportPgEnvironment sets.
  std::vector<std::pair<std::string, std::string>> PgEnvironment() const;
  // Puts PgEnvironment() into the process environment (setenv), as WAL-G's bindConfigToEnv does,
  // so libpq sees connection settings given in the config file or as flags.
  // REQUIRES: no other thread reads or writes the environment meanwhile (call it early in main).
  void ExportPgEnvironment() const;

 private:
  // A flag that copies (Config is copyable) and may be set from any thread.
  struct ReadFlag {
    mutable std::atomic<bool> value{false};
    ReadFlag() = default;
    ReadFlag(const ReadFlag& other) : value(other.value.load()) {}
    ReadFlag& operator=(const ReadFlag& other) {
      value = other.value.load();
      return *this;
    }
  };
  struct Resolved {
    std::string value;
    SettingSource source = SettingSource::kUnset;
    std::string_view spelled;  // the name or alias that supplied it
    ReadFlag read;
  };

  const Resolved& Lookup(std::string_view name) const;
  // "WALG_X", "WALG_X (config file /p)" or "WALG_X (flag --walg-x)".
  std::string Describe(const Resolved& r) const;
  [[noreturn]] void ThrowBadValue(std::string_view name, std::string_view expected) const;

  std::map<std::string_view, Resolved, std::less<>> resolved_;  // by canonical name
  std::string file_path_;
  std::vector<std::string> warnings_;
};

}  // namespace walnut
