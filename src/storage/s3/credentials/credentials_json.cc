#include "storage/s3/credentials/credentials_json.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

namespace {

[[noreturn]] void Fail(std::string_view source, std::string_view problem) {
  throw Error(ErrorCode::kProtocol, fmt::format("{}: {}", source, problem));
}

std::string Field(const nlohmann::json& doc, const char* name, std::string_view source,
                  bool required) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) {
    if (required) Fail(source, fmt::format("the credentials document has no {}", name));
    return "";
  }
  if (!it->is_string() || (required && it->get_ref<const std::string&>().empty())) {
    Fail(source, fmt::format("{} in the credentials document is not a non-empty string", name));
  }
  return it->get<std::string>();
}

}  // namespace

TimedCredentials ParseCredentialsJson(std::string_view body, std::string_view source,
                                      CredentialsJson format) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    Fail(source,
         "the output is not a JSON credentials document (a JSON object with "
         "AccessKeyId and SecretAccessKey)");
  }
  bool process = format == CredentialsJson::kCredentialProcess;
  if (process) {
    auto version = doc.find("Version");
    if (version == doc.end() || !version->is_number_integer() || version->get<int64_t>() != 1) {
      Fail(source, "the credentials document needs \"Version\": 1");
    }
  } else if (doc.contains("Code")) {
    std::string code = Field(doc, "Code", source, false);
    if (code != "Success") Fail(source, fmt::format("the endpoint answered Code {}", code));
  }
  TimedCredentials out;
  out.credentials.access_key_id = Field(doc, "AccessKeyId", source, true);
  out.credentials.secret_access_key = SecretString(Field(doc, "SecretAccessKey", source, true));
  out.credentials.session_token =
      SecretString(Field(doc, process ? "SessionToken" : "Token", source, false));
  std::string expiration = Field(doc, "Expiration", source, false);
  if (!expiration.empty()) {
    out.expiry = ParseIso8601(expiration);
    if (!out.expiry) {
      Fail(source, fmt::format("Expiration '{}' is not an ISO 8601 time", expiration));
    }
  } else if (!process) {
    Fail(source, "the credentials document has no Expiration");
  }
  return out;
}

}  // namespace walnut::s3
