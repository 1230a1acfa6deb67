#include "storage/s3/credentials/sts.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>

#include <fmt/format.h>

#include <pugixml.hpp>

#include "common/error.h"
#include "common/excerpt.h"
#include "net/http_client.h"
#include "net/url.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

namespace {

constexpr size_t kMaxTokenFile = 64 << 10;

std::string FormBody(const net::QueryParams& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += net::UriEncode(name, false) + "=" + net::UriEncode(value, false);
  }
  return body;
}

// STS's <ErrorResponse><Error><Code>..</Code><Message>..</Message></Error>: "Code: Message".
std::string StsErrorDetail(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return "";
  pugi::xml_node error = doc.select_node("//Error").node();
  if (!error) return "";
  std::string code = error.child_value("Code");
  std::string message = error.child_value("Message");
  if (code.empty()) return "";
  return message.empty() ? code : fmt::format("{}: {}", code, Excerpt(message));
}

// POSTs `params` to STS; `sign` adds the signature (AssumeRole) or nothing.
std::string CallSts(
    const StsOptions& sts, net::QueryParams params, std::string_view source,
    const std::function<void(net::HttpRequest&, const std::string&, std::string_view)>& sign) {
  net::Endpoint ep = net::ParseEndpoint(sts.endpoint, "AWS_ENDPOINT_URL_STS");
  params.emplace_back("Version", "2011-06-15");
  const std::string body = FormBody(params);
  net::HttpRequest request;
  request.method = "POST";
  std::string path = ep.base_path.empty() ? "/" : ep.base_path + "/";
  request.url = fmt::format("{}://{}{}", ep.scheme, ep.HostHeader(), path);
  request.body = AsBytes(body);
  request.headers.emplace_back("Host", ep.HostHeader());
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  if (sign) sign(request, path, body);
  net::HttpClientOptions http;
  http.connect_timeout = sts.connect_timeout;
  http.stall_timeout = sts.stall_timeout;
  http.ca_cert_file = sts.ca_cert_file;
  net::HttpResponse response;
  try {
    response = net::HttpClient(http).Perform(request);
  } catch (const Error& e) {
    throw Error(ErrorCode::kNetwork, fmt::format("{}: {}", source, e.what()));
  }
  if (response.status != 200) {
    std::string detail = StsErrorDetail(response.body);
    throw Error(response.status == 403 || response.status == 400 || response.status == 401
                    ? ErrorCode::kPermissionDenied
                    : ErrorCode::kNetwork,
                fmt::format("{}: STS at {} answered HTTP {}{}{}", source, sts.endpoint,
                            response.status, detail.empty() ? "" : ": ", detail));
  }
  return std::move(response.body);
}

}  // namespace

std::string RegionalStsEndpoint(std::string_view region) {
  return fmt::format("https://sts.{}.amazonaws.com", region);
}

std::string DefaultSessionName() {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return fmt::format("walnut-{}", now.count());
}

TimedCredentials ParseStsCredentials(std::string_view xml, std::string_view action,
                                     std::string_view source) {
  auto fail = [&](std::string_view problem) {
    return Error(ErrorCode::kProtocol,
                 fmt::format("{}: the {} answer {}", source, action, problem));
  };
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) throw fail("is not XML");
  std::string result_name = fmt::format("{}Result", action);
  pugi::xml_node creds = doc.document_element().child(result_name.c_str()).child("Credentials");
  if (!creds) throw fail("has no <Credentials>");
  TimedCredentials out;
  out.credentials.access_key_id = creds.child_value("AccessKeyId");
  out.credentials.secret_access_key = SecretString(creds.child_value("SecretAccessKey"));
  out.credentials.session_token = SecretString(creds.child_value("SessionToken"));
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    throw fail("has no AccessKeyId or SecretAccessKey");
  }
  out.expiry = ParseIso8601(creds.child_value("Expiration"));
  if (!out.expiry) throw fail("has no valid <Expiration>");
  return out;
}

AssumeRoleFetcher::AssumeRoleFetcher(StsOptions sts, std::string role_arn, std::string session_name,
                                     std::shared_ptr<CredentialsProvider> source)
    : sts_(std::move(sts)),
      role_arn_(std::move(role_arn)),
      session_name_(std::move(session_name)),
      source_(std::move(source)) {}

std::string AssumeRoleFetcher::Describe() const {
  return fmt::format("STS AssumeRole of {} with the credentials from {}", role_arn_,
                     source_->Describe());
}

TimedCredentials AssumeRoleFetcher::Fetch() {
  const std::string source = Describe();
  net::QueryParams params = {{"Action", "AssumeRole"},
                             {"DurationSeconds", std::to_string(sts_.duration_seconds)},
                             {"RoleArn", role_arn_},
                             {"RoleSessionName", session_name_}};
  Credentials signing;
  try {
    signing = source_->Current();
  } catch (const Error& e) {
    // The source's own line, saying which role it was fetched for (a profile's credential_source).
    throw Error(e.code(), fmt::format("STS AssumeRole of {}: {}", role_arn_, e.what()),
                e.retryable());
  }
  std::string xml = CallSts(
      sts_, params, source,
      [&](net::HttpRequest& request, const std::string& path, std::string_view body) {
        SigV4Signer signer(signing, sts_.region, "sts");
        signer.Sign(request, path, {}, Sha256Hex(AsBytes(body)), std::chrono::system_clock::now());
      });
  return ParseStsCredentials(xml, "AssumeRole", source);
}

WebIdentityFetcher::WebIdentityFetcher(StsOptions sts, std::string role_arn,
                                       std::string session_name, std::string token_file)
    : sts_(std::move(sts)),
      role_arn_(std::move(role_arn)),
      session_name_(std::move(session_name)),
      token_file_(std::move(token_file)) {}

std::string WebIdentityFetcher::Describe() const {
  return fmt::format("web identity (STS AssumeRoleWithWebIdentity of {} with the token in {})",
                     role_arn_, token_file_);
}

TimedCredentials WebIdentityFetcher::Fetch() {
  const std::string source = Describe();
  std::ifstream in(token_file_, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("{}: cannot read the token file: {}; check "
                            "AWS_WEB_IDENTITY_TOKEN_FILE",
                            source, std::strerror(errno)));
  }
  std::string raw(kMaxTokenFile + 1, '\0');
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  raw.resize(static_cast<size_t>(in.gcount()));
  SecretString token(std::move(raw));
  std::string_view text = token.Reveal();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.empty() || token.Reveal().size() > kMaxTokenFile) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("{}: the token file is empty or larger than 64 KiB", source));
  }
  net::QueryParams params = {{"Action", "AssumeRoleWithWebIdentity"},
                             {"DurationSeconds", std::to_string(sts_.duration_seconds)},
                             {"RoleArn", role_arn_},
                             {"RoleSessionName", session_name_},
                             {"WebIdentityToken", std::string(text)}};
  std::string xml = CallSts(sts_, std::move(params), source, nullptr);
  return ParseStsCredentials(xml, "AssumeRoleWithWebIdentity", source);
}

}  // namespace walnut::s3
