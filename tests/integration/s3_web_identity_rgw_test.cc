// STS AssumeRoleWithWebIdentity against Ceph RGW with a real OpenID provider: a loopback HTTP
// server publishing its discovery document and JWKS (an RSA key made by openssl at test time),
// registered in RGW with IAM CreateOpenIDConnectProvider, and a role that trusts it. The token
// file holds a JWT signed with that key. Skipped when WALNUT_IT_RGW_* are unset.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "net/url.h"
#include "storage/s3/sigv4.h"
#include "support/cli_runner.h"
#include "support/error_lines.h"
#include "support/rgw_bucket.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

// One signed IAM Query API call to RGW; the answer's body, or a test failure.
std::string IamCall(const std::string& endpoint, const std::string& region,
                    const s3::Credentials& credentials, const net::QueryParams& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += net::UriEncode(name, false) + "=" + net::UriEncode(value, false);
  }
  body += "&Version=2010-05-08";
  net::Endpoint ep = net::ParseEndpoint(endpoint, "endpoint");
  net::HttpRequest request;
  request.method = "POST";
  request.url = endpoint + "/";
  request.body = AsBytes(body);
  request.headers.emplace_back("Host", ep.HostHeader());
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  s3::SigV4Signer(credentials, region, "iam")
      .Sign(request, "/", {}, s3::Sha256Hex(AsBytes(body)), std::chrono::system_clock::now());
  net::HttpResponse response = net::HttpClient(net::HttpClientOptions{}).Perform(request);
  EXPECT_TRUE(response.status == 200 || response.status == 409)
      << params.front().second << ": HTTP " << response.status << " " << response.body;
  return response.body;
}

// A shell pipeline's output, which must succeed.
std::string Shell(const std::string& command) {
  CommandResult r = RunCommand(command);
  EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r')) r.out.pop_back();
  return r.out;
}

TEST(RgwWebIdentityTest, AssumeRoleWithWebIdentityThroughARealOpenIdProvider) {
  std::optional<RgwServer> rgw = RgwFromEnv();
  if (!rgw) GTEST_SKIP() << kRgwSkipMessage;
  const std::string& endpoint = rgw->endpoint;
  const std::string& region = rgw->region;
  const s3::Credentials admin{rgw->access_key, rgw->secret_key, SecretString()};
  TempDir dir;
  const std::string d = ShellQuote(dir.str());
  Shell("cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 "
        "-subj /CN=walnut-oidc 2>/dev/null");
  const std::string cert_der_b64 =
      Shell("cd " + d + " && openssl x509 -in cert.pem -outform DER | openssl base64 -A");
  std::string thumbprint = Shell("cd " + d +
                                 " && openssl x509 -in cert.pem -noout -fingerprint -sha1 | "
                                 "sed 's/.*=//; s/://g'");

  // The provider: discovery document and JWKS with the certificate (RGW Pacific reads x5c).
  ScriptedHttpServer provider;
  const std::string issuer = provider.endpoint();
  provider.SetHandler([&](const RecordedRequest& r) -> ScriptedResponse {
    if (r.Path() == "/.well-known/openid-configuration") {
      return {200,
              {{"Content-Type", "application/json"}},
              fmt::format("{{\"issuer\": \"{0}\", \"jwks_uri\": \"{0}/jwks\"}}", issuer)};
    }
    if (r.Path() == "/jwks") {
      return {200,
              {{"Content-Type", "application/json"}},
              fmt::format("{{\"keys\": [{{\"kty\": \"RSA\", \"use\": \"sig\", \"alg\": \"RS256\", "
                          "\"kid\": \"k1\", \"x5c\": [\"{}\"]}}]}}",
                          cert_der_b64)};
    }
    return {404, {}, ""};
  });
  const std::string host = issuer.substr(issuer.find("://") + 3);
  const std::string client_id = "walnut-client";
  std::string lower = thumbprint;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  IamCall(endpoint, region, admin,
          {{"Action", "CreateOpenIDConnectProvider"},
           {"Url", issuer},
           {"ClientIDList.member.1", client_id},
           {"ThumbprintList.member.1", thumbprint},
           {"ThumbprintList.member.2", lower}});
  const std::string role = fmt::format("walnut-web-{}", std::random_device()() % 1000000);
  IamCall(endpoint, region, admin,
          {{"Action", "CreateRole"},
           {"RoleName", role},
           {"Path", "/"},
           {"AssumeRolePolicyDocument",
            fmt::format("{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\","
                        "\"Principal\":{{\"Federated\":[\"arn:aws:iam:::oidc-provider/{}\"]}},"
                        "\"Action\":[\"sts:AssumeRoleWithWebIdentity\"]}}]}}",
                        host)}});
  IamCall(endpoint, region, admin,
          {{"Action", "PutRolePolicy"},
           {"RoleName", role},
           {"PolicyName", "s3-all"},
           {"PolicyDocument",
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            "\"Action\":[\"s3:*\"],\"Resource\":\"arn:aws:s3:::*\"}]}"}});

  // The JWT, signed RS256 with the provider's key.
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  const std::string b64url = "openssl base64 -A | tr '+/' '-_' | tr -d '='";
  std::string header =
      Shell("printf '%s' '{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}' | " + b64url);
  std::string payload = Shell(fmt::format(
      "printf '%s' '{{\"iss\":\"{}\",\"aud\":\"{}\",\"sub\":\"walnut-sa\",\"iat\":{},\"exp\":{}}}' "
      "| {}",
      issuer, client_id, now, now + 3600, b64url));
  std::string signature = Shell("printf '%s' '" + header + "." + payload + "' | openssl dgst " +
                                "-sha256 -sign " + d + "/key.pem | " + b64url);
  const std::string token = header + "." + payload + "." + signature;
  WriteFile(dir.path() / "token", token + "\n");

  // A bucket made with the user's keys; walnut reaches it with the web identity only.
  RgwBucket bucket_owner(*rgw, "web-identity");
  const std::string& bucket = bucket_owner.name();
  CliRunner cli;
  cli.Set("WALG_S3_PREFIX", fmt::format("s3://{}/p", bucket));
  cli.Set("AWS_ENDPOINT", endpoint);
  cli.Set("AWS_REGION", region);
  cli.Set("AWS_S3_FORCE_PATH_STYLE", "true");
  cli.Set("AWS_ENDPOINT_URL_STS", endpoint);
  cli.Set("AWS_EC2_METADATA_DISABLED", "true");
  cli.Set("AWS_WEB_IDENTITY_TOKEN_FILE", (dir.path() / "token").string());
  cli.Set("AWS_ROLE_ARN", "arn:aws:iam:::role/" + role);
  cli.Set("AWS_ROLE_SESSION_NAME", "walnut-web-it");
  fs::path src = dir.path() / "src";
  WriteFile(src, RandomBytes(100000, 3));
  CommandResult put = cli.Run("st put " + ShellQuote(src.string()) + " obj");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  CommandResult get = cli.Run("st get obj.lz4 " + ShellQuote((dir.path() / "back").string()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ReadFile(dir.path() / "back"), RandomBytes(100000, 3));
  EXPECT_GE(provider.request_count(), 2u);  // RGW fetched the discovery document and the JWKS

  // The same role and token from a config file profile (web_identity_token_file), as the SDKs.
  cli.Unset("AWS_WEB_IDENTITY_TOKEN_FILE");
  cli.Unset("AWS_ROLE_ARN");
  WriteFile(dir.path() / "config", fmt::format("[profile web]\nrole_arn = arn:aws:iam:::role/{}\n"
                                               "web_identity_token_file = {}\n",
                                               role, (dir.path() / "token").string()));
  cli.Set("AWS_CONFIG_FILE", (dir.path() / "config").string());
  cli.Set("AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string());
  cli.Set("AWS_PROFILE", "web");
  CommandResult cat = cli.Run("st get obj.lz4 " + ShellQuote((dir.path() / "back2").string()));
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(ReadFile(dir.path() / "back2"), RandomBytes(100000, 3));

  // A token signed by another key: RGW refuses it, and the line names the source, not the token.
  Shell("cd " + d + " && openssl genrsa -out other.pem 2048 2>/dev/null");
  std::string forged = Shell("printf '%s' '" + header + "." + payload + "' | openssl dgst " +
                             "-sha256 -sign " + d + "/other.pem | " + b64url);
  WriteFile(dir.path() / "token", header + "." + payload + "." + forged);
  CommandResult r = cli.Run("st ls");
  EXPECT_NE(r.exit_code, 0);
  ExpectOneErrorLine(r,
                     {"web identity (STS AssumeRoleWithWebIdentity of arn:aws:iam:::role/" + role,
                      "answered HTTP"});
  EXPECT_THAT(r.err, Not(HasSubstr(payload)));
}

}  // namespace
}  // namespace walnut::testing
