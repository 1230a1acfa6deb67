#include "storage/gcs/gcs_json.h"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/excerpt.h"
#include "common/rfc3339.h"

namespace walnut::gcs {
namespace {

using nlohmann::json;

constexpr std::string_view kDefaultTokenUri = "https://oauth2.googleapis.com/token";
// Enough for GCS's messages ("The target object is encrypted by a customer-supplied encryption
// key."), short enough for one line.
constexpr size_t kDetailBytes = 240;

[[noreturn]] void Malformed(std::string_view what, std::string_view problem) {
  // Retryable: a damaged answer (a proxy cutting a body short) may come out whole next time.
  throw Error(ErrorCode::kProtocol, fmt::format("malformed {}: {}", what, problem),
              /*retryable=*/true);
}

json ParseDocument(std::string_view text, std::string_view what) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) Malformed(what, "not JSON");
  if (!doc.is_object()) Malformed(what, "not a JSON object");
  return doc;
}

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// A string field, or "" when absent; a field of another type is malformed.
std::string StringField(const json& doc, const char* name, std::string_view what) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return "";
  if (!it->is_string()) Malformed(what, fmt::format("\"{}\" is not a string", name));
  return it->get<std::string>();
}

ObjectResource ObjectFrom(const json& doc, std::string_view what) {
  if (!doc.is_object()) Malformed(what, "an object entry is not a JSON object");
  ObjectResource o;
  o.name = StringField(doc, "name", what);
  if (o.name.empty()) Malformed(what, "an object without a name");
  // "size" is a string (uint64 in JSON API's notation); accept a number too.
  if (auto it = doc.find("size"); it != doc.end()) {
    std::optional<uint64_t> size;
    if (it->is_string()) size = ParseDecimal(it->get_ref<const std::string&>());
    if (it->is_number_unsigned()) size = it->get<uint64_t>();
    if (!size) Malformed(what, fmt::format("object {} has a bad size", o.name));
    o.size = *size;
  }
  if (auto it = doc.find("generation"); it != doc.end()) {
    if (it->is_string() && ParseDecimal(it->get_ref<const std::string&>())) {
      o.generation = it->get<std::string>();
    } else if (it->is_number_unsigned()) {
      o.generation = std::to_string(it->get<uint64_t>());
    } else {
      Malformed(what, fmt::format("object {} has a bad generation", o.name));
    }
  }
  std::string updated = StringField(doc, "updated", what);
  if (!updated.empty()) {
    auto time = ParseRfc3339(updated);
    if (!time) Malformed(what, fmt::format("object {} has a bad \"updated\" time", o.name));
    o.updated = *time;
  }
  if (auto it = doc.find("metadata"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) Malformed(what, fmt::format("object {} has bad metadata", o.name));
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        Malformed(what, fmt::format("object {} has a metadata value that is not a string", o.name));
      }
      o.metadata[key] = value.get<std::string>();
    }
  }
  return o;
}

}  // namespace

ObjectResource ParseObjectResource(std::string_view text) {
  constexpr std::string_view kWhat = "GCS object resource";
  return ObjectFrom(ParseDocument(text, kWhat), kWhat);
}

ListPage ParseListPage(std::string_view text) {
  constexpr std::string_view kWhat = "GCS object listing";
  json doc = ParseDocument(text, kWhat);
  ListPage page;
  page.next_page_token = StringField(doc, "nextPageToken", kWhat);
  if (auto it = doc.find("items"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) Malformed(kWhat, "\"items\" is not an array");
    for (const json& item : *it) page.items.push_back(ObjectFrom(item, kWhat));
  }
  if (auto it = doc.find("prefixes"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) Malformed(kWhat, "\"prefixes\" is not an array");
    for (const json& prefix : *it) {
      if (!prefix.is_string()) Malformed(kWhat, "a prefix is not a string");
      page.prefixes.push_back(prefix.get<std::string>());
    }
  }
  return page;
}

std::string ErrorDetail(std::string_view body) {
  if (body.empty()) return "";
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    auto error = doc.find("error");
    if (error != doc.end() && error->is_object()) {
      std::string message;
      if (auto m = error->find("message"); m != error->end() && m->is_string()) {
        message = m->get<std::string>();
      }
      if (auto errors = error->find("errors");
          errors != error->end() && errors->is_array() && !errors->empty()) {
        const json& first = (*errors)[0];
        if (first.is_object()) {
          if (auto r = first.find("reason"); r != first.end() && r->is_string()) {
            message += fmt::format(" ({})", r->get<std::string>());
          }
        }
      }
      if (!message.empty()) return Excerpt(message, kDetailBytes);
    }
    // OAuth endpoints: {"error": "invalid_grant", "error_description": "..."}.
    if (error != doc.end() && error->is_string()) {
      std::string message = error->get<std::string>();
      if (auto d = doc.find("error_description"); d != doc.end() && d->is_string()) {
        message += ": " + d->get<std::string>();
      }
      return Excerpt(message, kDetailBytes);
    }
  }
  return Excerpt(body, kDetailBytes);
}

AccessToken ParseAccessToken(std::string_view text) {
  constexpr std::string_view kWhat = "OAuth token answer";
  json doc = ParseDocument(text, kWhat);
  AccessToken token;
  auto it = doc.find("access_token");
  if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    Malformed(kWhat, "no \"access_token\"");
  }
  token.token = SecretString(it->get<std::string>());
  auto expires = doc.find("expires_in");
  if (expires == doc.end() || !expires->is_number_integer() || expires->get<int64_t>() <= 0 ||
      expires->get<int64_t>() > 7 * 24 * 3600) {
    Malformed(kWhat, "no valid \"expires_in\"");
  }
  token.expires_in = std::chrono::seconds(expires->get<int64_t>());
  std::string type = StringField(doc, "token_type", kWhat);
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    Malformed(kWhat, fmt::format("token_type {} is not Bearer", Excerpt(type)));
  }
  return token;
}

CredentialsFile ParseCredentialsFile(std::string_view text, std::string_view path) {
  auto bad = [&](std::string_view problem) -> Error {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("GOOGLE_APPLICATION_CREDENTIALS {}: {}; give a service-account key "
                             "file (JSON) or an authorized_user file from gcloud",
                             path, problem));
  };
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) throw bad("not a JSON object");
  auto field = [&](const char* name) -> std::string {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) return "";
    if (!it->is_string()) throw bad(fmt::format("\"{}\" is not a string", name));
    return it->get<std::string>();
  };
  CredentialsFile c;
  c.type = field("type");
  c.token_uri = field("token_uri");
  if (c.token_uri.empty()) c.token_uri = kDefaultTokenUri;
  if (c.type == "service_account") {
    c.client_email = field("client_email");
    c.private_key_id = field("private_key_id");
    c.private_key = SecretString(field("private_key"));
    if (c.client_email.empty()) throw bad("no \"client_email\"");
    if (c.private_key.empty()) throw bad("no \"private_key\"");
  } else if (c.type == "authorized_user") {
    c.client_id = field("client_id");
    c.client_secret = SecretString(field("client_secret"));
    c.refresh_token = SecretString(field("refresh_token"));
    if (c.client_id.empty() || c.client_secret.empty() || c.refresh_token.empty()) {
      throw bad("an authorized_user file needs client_id, client_secret and refresh_token");
    }
  } else {
    throw bad(
        fmt::format("\"type\" is '{}'; walnut reads service_account and authorized_user "
                    "files",
                    Excerpt(c.type)));
  }
  return c;
}

}  // namespace walnut::gcs
