#include "backup/backup_metadata_json.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/error.h"
#include "common/excerpt.h"

namespace walnut::metadata_json {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The deepest nesting of arrays and objects in `text` (strings skipped). nlohmann parses
// iteratively but dumps recursively: a hostile document must not exhaust the stack.
size_t NestingDepth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

constexpr size_t kMaxNesting = 64;
// nlohmann's messages quote the token where parsing stopped, which may be long and binary.
constexpr size_t kMaxParserMessage = 160;

}  // namespace

Json Parse(std::string_view text, std::string_view object_key) {
  if (NestingDepth(text) > kMaxNesting) {
    throw Error(ErrorCode::kCorruption, std::string(object_key) + ": JSON nested deeper than " +
                                            std::to_string(kMaxNesting) + " levels");
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kCorruption, std::string(object_key) + ": invalid JSON: " +
                                            Excerpt(e.what(), kMaxParserMessage));
  }
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json ParseRaw(std::string_view text, std::string_view what) {
  if (text.empty()) return Json();
  if (NestingDepth(text) > kMaxNesting) {
    throw Error(ErrorCode::kInvalidArgument, std::string(what) + " is nested deeper than " +
                                                 std::to_string(kMaxNesting) + " levels");
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string(what) + " is not valid JSON: " + Excerpt(e.what(), kMaxParserMessage));
  }
}

ObjectReader::ObjectReader(const Json& value, std::string_view object_key)
    : value_(value), object_key_(object_key) {
  if (!value_.is_object()) {
    throw Error(ErrorCode::kCorruption,
                object_key_ + ": expected a JSON object, found " + value_.type_name());
  }
}

const Json* ObjectReader::Find(std::string_view field) const {
  const Json* found = nullptr;
  auto exact = value_.find(std::string(field));
  if (exact != value_.end()) {
    found = &*exact;
  } else {
    for (auto it = value_.begin(); it != value_.end(); ++it) {
      if (EqualsIgnoreCase(it.key(), field)) {
        found = &*it;
        break;
      }
    }
  }
  return found != nullptr && !found->is_null() ? found : nullptr;
}

void ObjectReader::Fail(std::string_view field, std::string_view what) const {
  throw Error(ErrorCode::kCorruption,
              object_key_ + ": field \"" + std::string(field) + "\" " + std::string(what));
}

std::optional<uint64_t> ObjectReader::Uint(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer() && v->get<int64_t>() >= 0)
    return static_cast<uint64_t>(v->get<int64_t>());
  Fail(field, "must be an unsigned integer, found " + Excerpt(Dump(*v)));
}

std::optional<int64_t> ObjectReader::Int(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned() &&
      v->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return static_cast<int64_t>(v->get<uint64_t>());
  }
  if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<int64_t>();
  Fail(field, "must be an integer, found " + Excerpt(Dump(*v)));
}

std::optional<bool> ObjectReader::Bool(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) Fail(field, "must be true or false, found " + Excerpt(Dump(*v)));
  return v->get<bool>();
}

std::optional<std::string> ObjectReader::String(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) Fail(field, "must be a string, found " + Excerpt(Dump(*v)));
  return v->get<std::string>();
}

std::optional<Timestamp> ObjectReader::Time(std::string_view field) const {
  auto text = String(field);
  if (!text) return std::nullopt;
  auto t = ParseRfc3339(*text);
  if (!t) Fail(field, "is not an RFC 3339 time: \"" + Excerpt(*text) + "\"");
  return t;
}

std::string ObjectReader::Raw(std::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr) return std::string();
  std::string text = Dump(*v);
  return text == "null" ? std::string() : text;  // a number too large for a double dumps as null
}

}  // namespace walnut::metadata_json
