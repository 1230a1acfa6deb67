#include "storage/s3/credentials/metadata_endpoints.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "common/excerpt.h"
#include "net/http_client.h"
#include "storage/s3/credentials/credentials_json.h"

namespace walnut::s3 {

namespace {

constexpr size_t kMaxTokenFile = 16 << 10;

net::HttpClientOptions HttpOptions(const MetadataTimeouts& t) {
  net::HttpClientOptions o;
  o.connect_timeout = t.connect;
  o.stall_timeout = t.stall;
  o.max_buffered_body = 1 << 20;
  return o;
}

std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return "";
  start += 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    return close == std::string::npos ? "" : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.find(':'));
}

// One GET or PUT; the answer's body on 200, else Error naming `source` and the status.
std::string Fetch200(net::HttpClient& http, net::HttpRequest request, std::string_view source,
                     std::string_view what) {
  net::HttpResponse response;
  try {
    response = http.Perform(request);
  } catch (const Error& e) {
    throw Error(ErrorCode::kNetwork, fmt::format("{}: {}", source, e.what()));
  }
  if (response.status != 200) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("{}: {} answered HTTP {}", source, what, response.status));
  }
  return std::move(response.body);
}

std::string TrimmedEnd(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

std::string ContainerUrlProblem(const std::string& url) {
  if (url.rfind("https://", 0) == 0) return "";
  if (url.rfind("http://", 0) != 0) return "is not an http or https URL";
  std::string host = HostOf(url);
  if (host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" ||
      host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23") {
    return "";
  }
  return fmt::format(
      "uses http to {}, which is neither a loopback nor the ECS or EKS Pod "
      "Identity address; use https",
      host.empty() ? "no host" : host);
}

ContainerCredentialsFetcher::ContainerCredentialsFetcher(std::string url, SecretString token,
                                                         std::string token_file,
                                                         MetadataTimeouts timeouts)
    : url_(std::move(url)),
      token_(std::move(token)),
      token_file_(std::move(token_file)),
      timeouts_(timeouts) {}

std::string ContainerCredentialsFetcher::Describe() const {
  return fmt::format("container credentials endpoint {}", url_);
}

TimedCredentials ContainerCredentialsFetcher::Fetch() {
  const std::string source = Describe();
  net::HttpRequest request;
  request.method = "GET";
  request.url = url_;
  request.headers.emplace_back("Accept", "application/json");
  SecretString token = token_;
  if (!token_file_.empty()) {
    std::ifstream in(token_file_, std::ios::binary);
    if (!in) {
      throw Error(ErrorCode::kPermissionDenied,
                  fmt::format("{}: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}: {}",
                              source, token_file_, std::strerror(errno)));
    }
    std::string raw(kMaxTokenFile, '\0');
    in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    raw.resize(static_cast<size_t>(in.gcount()));
    token = SecretString(TrimmedEnd(std::move(raw)));
  }
  if (!token.empty()) {
    if (token.Reveal().find_first_of("\r\n") != std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: the authorization token holds a line break", source));
    }
    request.headers.emplace_back("Authorization", token.Reveal());
  }
  net::HttpClient http(HttpOptions(timeouts_));
  std::string body = Fetch200(http, std::move(request), source, "the endpoint");
  const SecretString secret_body(std::move(body));
  return ParseCredentialsJson(secret_body.Reveal(), source, CredentialsJson::kMetadata);
}

InstanceMetadataFetcher::InstanceMetadataFetcher(std::string endpoint, MetadataTimeouts timeouts,
                                                 bool v1_disabled)
    : endpoint_(std::move(endpoint)), timeouts_(timeouts), v1_disabled_(v1_disabled) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

std::string InstanceMetadataFetcher::Describe() const {
  return fmt::format("EC2 instance metadata (IMDSv2) at {}", endpoint_);
}

TimedCredentials InstanceMetadataFetcher::Fetch() {
  std::string source = Describe();
  net::HttpClient http(HttpOptions(timeouts_));
  net::HttpRequest put;
  put.method = "PUT";
  put.url = endpoint_ + "/latest/api/token";
  put.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
  std::optional<SecretString> token;
  std::string token_problem;
  ErrorCode token_code = ErrorCode::kPermissionDenied;
  try {
    net::HttpResponse answer = http.Perform(put);
    if (answer.status == 200) {
      token = SecretString(TrimmedEnd(std::move(answer.body)));
    } else {
      token_problem = fmt::format("the token request answered HTTP {}", answer.status);
    }
    // 400: the request itself is wrong, which IMDSv1 would not mend (as the SDKs).
    if (answer.status == 400) throw Error(token_code, fmt::format("{}: {}", source, token_problem));
  } catch (const Error& e) {
    if (!token_problem.empty()) throw;
    token_problem = e.what();
    token_code = ErrorCode::kNetwork;
  }
  if (!token) {
    if (v1_disabled_) {
      throw Error(token_code, fmt::format("{}: {}, and AWS_EC2_METADATA_V1_DISABLED=true forbids "
                                          "IMDSv1",
                                          source, token_problem));
    }
    source += fmt::format(": IMDSv1 after the token request failed ({})", token_problem);
  }

  net::HttpRequest get;
  get.method = "GET";
  get.url = endpoint_ + "/latest/meta-data/iam/security-credentials/";
  if (token) get.headers.emplace_back("X-aws-ec2-metadata-token", token->Reveal());
  std::string roles = Fetch200(http, get, source, "the role listing (is a role attached?)");
  std::string role = TrimmedEnd(roles.substr(0, roles.find('\n')));
  if (role.empty() || role.find_first_of("/?#% ") != std::string::npos) {
    throw Error(ErrorCode::kPermissionDenied,
                fmt::format("{}: no IAM role is attached to this instance", source));
  }
  get.url += role;
  std::string body = Fetch200(http, get, source, fmt::format("the credentials of role {}", role));
  const SecretString secret_body(std::move(body));
  return ParseCredentialsJson(secret_body.Reveal(), source, CredentialsJson::kMetadata);
}

}  // namespace walnut::s3
