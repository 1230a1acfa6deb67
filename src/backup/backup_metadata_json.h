#pragma once

// Internal to the backup module: reading and writing WAL-G's JSON documents the way Go's
// encoding/json does. Not for other modules (they use backup_metadata.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/rfc3339.h"

namespace walnut::metadata_json {

// ordered_json keeps the order of the fields we write (Go writes struct fields in order) and of
// raw user JSON read back.
using Json = nlohmann::ordered_json;

// Parses a whole document; throws kCorruption "<object_key>: invalid JSON: ..." on failure.
Json Parse(std::string_view text, std::string_view object_key);

// Compact output; invalid UTF-8 is replaced (as Go does) instead of failing.
std::string Dump(const Json& value);

// Raw JSON text -> value; "" -> null. Throws kInvalidArgument naming `what` if it does not parse.
Json ParseRaw(std::string_view text, std::string_view what);

// The fields of one JSON object, looked up as Go's decoder does: exact name first, then a
// case-insensitive match ("spec" fills "Spec"); a null value counts as absent. Type mismatches
// throw kCorruption naming the object key and the field.
class ObjectReader {
 public:
  // Throws kCorruption unless `value` is an object.
  ObjectReader(const Json& value, std::string_view object_key);

  const Json* Find(std::string_view field) const;
  std::optional<uint64_t> Uint(std::string_view field) const;
  std::optional<int64_t> Int(std::string_view field) const;
  std::optional<bool> Bool(std::string_view field) const;
  std::optional<std::string> String(std::string_view field) const;
  std::optional<Timestamp> Time(std::string_view field) const;
  // The field's raw JSON text, "" when absent.
  std::string Raw(std::string_view field) const;

  [[noreturn]] void Fail(std::string_view field, std::string_view what) const;

 private:
  const Json& value_;
  std::string object_key_;
};

}  // namespace walnut::metadata_json
