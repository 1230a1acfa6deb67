// The credentials chain in the AWS SDKs' order, with the container and instance metadata
// endpoints and STS as scripted loopback servers (no real one runs off-cloud; STS against a real
// Ceph RGW is in tests/integration/s3_credentials_rgw_test.cc).

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/s3/credentials/credential_chain.h"
#include "support/scripted_http_server.h"
#include "support/test_util.h"

namespace walnut::s3 {
namespace {

using testing::ExpectError;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RecordedRequest;
using testing::ScriptedHttpServer;
using testing::ScriptedResponse;

std::string MetadataJson(const std::string& key, const std::string& expiration) {
  return "{\"Code\": \"Success\", \"AccessKeyId\": \"" + key +
         "\", \"SecretAccessKey\": \"metasecret\", \"Token\": \"metatoken\", \"Expiration\": \"" +
         expiration + "\"}";
}

std::string StsAnswer(const std::string& action, const std::string& key) {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><Credentials><AccessKeyId>" + key +
         "</AccessKeyId><SecretAccessKey>stssecret</SecretAccessKey><SessionToken>ststoken"
         "</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></" +
         action + "Result></" + action + "Response>";
}

// An IMDSv2 that wants its token and serves role "walnut-role".
void ServeImds(ScriptedHttpServer& server, const std::string& key) {
  server.SetHandler([key](const RecordedRequest& r) -> ScriptedResponse {
    if (r.method == "PUT" && r.Path() == "/latest/api/token") {
      if (!r.Header("x-aws-ec2-metadata-token-ttl-seconds")) return {400, {}, ""};
      return {200, {}, "IMDSTOKEN"};
    }
    if (r.Header("x-aws-ec2-metadata-token").value_or("") != "IMDSTOKEN") return {401, {}, ""};
    if (r.Path() == "/latest/meta-data/iam/security-credentials/") return {200, {}, "walnut-role"};
    if (r.Path() == "/latest/meta-data/iam/security-credentials/walnut-role") {
      return {200, {}, MetadataJson(key, "2099-01-01T00:00:00Z")};
    }
    return {404, {}, ""};
  });
}

class CredentialChainTest : public ::testing::Test {
 protected:
  CredentialChainTest() {
    s_.home = home_.str();
    std::filesystem::create_directories(home_.path() / ".aws");
    s_.imds_disabled = true;
    s_.sts.region = "us-east-1";
    s_.sts.endpoint = "http://127.0.0.1:1";
  }
  void WriteCredentials(const std::string& text) {
    testing::WriteFile(home_.str() + "/.aws/credentials", text);
  }
  std::string ResolveError() {
    Error e = ExpectError([&] { ResolveCredentialChain(s_); });
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.what();
  }

  testing::TempDir home_;
  CredentialChainSettings s_;
};

TEST_F(CredentialChainTest, NothingFoundListsEverySourceTried) {
  std::string e = ResolveError();
  EXPECT_THAT(e, HasSubstr("no S3 credentials found; tried: environment (AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY not set); web identity "
                           "(AWS_WEB_IDENTITY_TOKEN_FILE not set); shared files (no profile "
                           "default in " +
                           home_.str() + "/.aws/credentials (missing)"));
  EXPECT_THAT(e, HasSubstr("container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not "
                           "set); EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)"));
  EXPECT_THAT(e, HasSubstr("WALNUT_S3_ANONYMOUS=true"));
}

TEST_F(CredentialChainTest, TheSourcesComeInTheSdksOrder) {
  ScriptedHttpServer container, imds;
  container.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {200, {}, MetadataJson("CONTAINERKEY", "2099-01-01T00:00:00Z")};
  });
  ServeImds(imds, "IMDSKEY");
  s_.imds_disabled = false;
  s_.imds_endpoint = imds.endpoint();
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "IMDSKEY");
  s_.container_full_uri = container.endpoint() + "/creds";
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "CONTAINERKEY");
  WriteCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = fs\n");
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "FILEKEY");
  s_.env.access_key_id = "ENVKEY";
  s_.env.secret_access_key = SecretString("es");
  auto env = ResolveCredentialChain(s_);
  EXPECT_EQ(env->Current().access_key_id, "ENVKEY");
  EXPECT_THAT(env->Describe(), HasSubstr("environment"));
  EXPECT_EQ(imds.request_count(), 3u);  // token, role, credentials: asked once, first time only
}

TEST_F(CredentialChainTest, AnExplicitProfileThatIsMissingIsAnError) {
  WriteCredentials("[default]\naws_access_key_id = A\naws_secret_access_key = s\n");
  s_.profile = "prod";
  s_.profile_set = true;
  EXPECT_THAT(ResolveError(), HasSubstr("AWS_PROFILE=prod: no profile prod in " + home_.str()));
  s_.profile = "default";
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "A");
}

TEST_F(CredentialChainTest, ContainerEndpointSendsItsTokenAndNamesItselfInErrors) {
  ScriptedHttpServer container;
  container.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    if (r.Header("authorization").value_or("") != "Bearer CONTAINERSECRET") return {401, {}, ""};
    return {200, {}, MetadataJson("CKEY", "2099-01-01T00:00:00Z")};
  });
  s_.container_full_uri = container.endpoint() + "/v2/credentials";
  std::string e = ResolveError();
  EXPECT_THAT(e, HasSubstr("container credentials endpoint " + container.endpoint() +
                           "/v2/credentials: the endpoint answered HTTP 401"));
  testing::WriteFile(home_.str() + "/token", "Bearer CONTAINERSECRET\n");
  s_.container_token_file = home_.str() + "/token";
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "CKEY");
  s_.container_token_file.clear();
  s_.container_token = SecretString("Bearer CONTAINERSECRET");
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "CKEY");

  container.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {200, {}, "not json CONTAINERSECRET"};
  });
  e = ResolveError();
  EXPECT_THAT(e, HasSubstr("is not a JSON credentials document"));
  EXPECT_THAT(e, Not(HasSubstr("CONTAINERSECRET")));
  s_.container_full_uri = "http://example.com/creds";
  EXPECT_THAT(ResolveError(), HasSubstr("neither a loopback nor the ECS or EKS Pod Identity"));
}

TEST_F(CredentialChainTest, AHangingMetadataEndpointIsGivenUpOnInBoundedTime) {
  testing::SilentListener silent;
  s_.imds_disabled = false;
  s_.imds_endpoint = silent.endpoint();
  auto start = std::chrono::steady_clock::now();
  std::string e = ResolveError();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  EXPECT_THAT(e, HasSubstr("; EC2 instance metadata (IMDSv2) at " + silent.endpoint() + ": "));
  // A container endpoint is asked for explicitly: its silence is the error, as quickly.
  s_.container_full_uri = silent.endpoint() + "/creds";
  start = std::chrono::steady_clock::now();
  e = ResolveError();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  EXPECT_THAT(e, HasSubstr("container credentials endpoint " + silent.endpoint()));
}

TEST_F(CredentialChainTest, ImdsWithoutARoleIsSkipped) {
  ScriptedHttpServer imds;
  imds.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    if (r.method == "PUT") return {200, {}, "T"};
    return {404, {}, ""};
  });
  s_.imds_disabled = false;
  s_.imds_endpoint = imds.endpoint();
  EXPECT_THAT(ResolveError(),
              HasSubstr("the role listing (is a role attached?) answered HTTP 404"));
}

TEST_F(CredentialChainTest, WebIdentityExchangesTheTokenFileWithSts) {
  ScriptedHttpServer sts;
  sts.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    if (r.body.find("Action=AssumeRoleWithWebIdentity") == std::string::npos ||
        r.body.find("WebIdentityToken=JWT.TOKEN.VALUE") == std::string::npos ||
        r.Header("authorization")) {
      return {400, {}, "<ErrorResponse><Error><Code>Bad</Code></Error></ErrorResponse>"};
    }
    return {200, {}, StsAnswer("AssumeRoleWithWebIdentity", "WEBKEY")};
  });
  testing::WriteFile(home_.str() + "/token", "JWT.TOKEN.VALUE\n");
  s_.web_identity_token_file = home_.str() + "/token";
  s_.role_arn = "arn:aws:iam::123:role/walnut";
  s_.role_session_name = "sess";
  s_.sts.endpoint = sts.endpoint();
  WriteCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = fs\n");
  Credentials c = ResolveCredentialChain(s_)->Current();
  EXPECT_EQ(c.access_key_id, "WEBKEY");
  EXPECT_EQ(c.session_token.Reveal(), "ststoken");
  EXPECT_THAT(sts.requests()[0].body, HasSubstr("RoleSessionName=sess"));
  EXPECT_THAT(sts.requests()[0].body,
              HasSubstr("RoleArn=arn%3Aaws%3Aiam%3A%3A123%3Arole%2Fwalnut"));

  sts.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {403,
            {},
            "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>Token expired"
            "</Message></Error></ErrorResponse>"};
  });
  std::string e = ResolveError();
  EXPECT_THAT(e, HasSubstr("web identity (STS AssumeRoleWithWebIdentity of "
                           "arn:aws:iam::123:role/walnut"));
  EXPECT_THAT(e, HasSubstr("answered HTTP 403: InvalidIdentityToken: Token expired"));
  EXPECT_THAT(e, Not(HasSubstr("JWT.TOKEN.VALUE")));
  s_.web_identity_token_file = home_.str() + "/missing";
  EXPECT_THAT(ResolveError(), HasSubstr("cannot read the token file"));
}

TEST_F(CredentialChainTest, RoleArnAssumesTheRoleWithTheFirstSourcesKeys) {
  ScriptedHttpServer sts;
  sts.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    std::string auth = r.Header("authorization").value_or("");
    if (auth.find("Credential=ENVKEY/") == std::string::npos ||
        auth.find("/us-east-1/sts/aws4_request") == std::string::npos ||
        r.body.find("Action=AssumeRole&") == std::string::npos) {
      return {403, {}, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>"};
    }
    return {200, {}, StsAnswer("AssumeRole", "ROLEKEY")};
  });
  s_.env.access_key_id = "ENVKEY";
  s_.env.secret_access_key = SecretString("es");
  s_.role_arn = "arn:aws:iam::123:role/walnut";
  s_.sts.endpoint = sts.endpoint();
  auto provider = ResolveCredentialChain(s_);
  EXPECT_EQ(provider->Current().access_key_id, "ROLEKEY");
  EXPECT_THAT(provider->Describe(), HasSubstr("STS AssumeRole of arn:aws:iam::123:role/walnut "
                                              "with the credentials from the environment"));
  s_.env.access_key_id = "OTHER";
  std::string e = ResolveError();
  EXPECT_THAT(e, HasSubstr("STS AssumeRole of arn:aws:iam::123:role/walnut"));
  EXPECT_THAT(e, HasSubstr("answered HTTP 403: AccessDenied"));
}

TEST_F(CredentialChainTest, ProfileRoleWithSourceProfile) {
  ScriptedHttpServer sts;
  sts.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    if (r.Header("authorization").value_or("").find("Credential=BASEKEY/") == std::string::npos) {
      return {403, {}, ""};
    }
    return {200, {}, StsAnswer("AssumeRole", "ASSUMED")};
  });
  s_.sts.endpoint = sts.endpoint();
  WriteCredentials("[base]\naws_access_key_id = BASEKEY\naws_secret_access_key = bs\n");
  testing::WriteFile(home_.str() + "/.aws/config",
                     "[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = base\n"
                     "role_session_name = appsession\n");
  s_.profile = "app";
  s_.profile_set = true;
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "ASSUMED");
  EXPECT_THAT(sts.requests()[0].body, HasSubstr("RoleSessionName=appsession"));
}

// An STS that assumes any role for requests signed with `signing_key`'s credentials.
void ServeAssumeRoleFor(ScriptedHttpServer& sts, const std::string& signing_key) {
  sts.SetHandler([signing_key](const RecordedRequest& r) -> ScriptedResponse {
    if (r.Header("authorization").value_or("").find("Credential=" + signing_key + "/") ==
        std::string::npos) {
      return {403, {}, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>"};
    }
    return {200, {}, StsAnswer("AssumeRole", "ASSUMED")};
  });
}

TEST_F(CredentialChainTest, ProfileCredentialSourceIsTheSourceOfItsRole) {
  ScriptedHttpServer sts, imds, container;
  s_.sts.endpoint = sts.endpoint();
  auto use = [&](const std::string& credential_source) {
    testing::WriteFile(home_.str() + "/.aws/config",
                       "[default]\nrole_arn = arn:aws:iam::1:role/app\ncredential_source = " +
                           credential_source + "\n");
  };
  use("Ec2InstanceMetadata");
  EXPECT_THAT(ResolveError(), HasSubstr("credential_source Ec2InstanceMetadata: "
                                        "AWS_EC2_METADATA_DISABLED=true"));
  ServeImds(imds, "IMDSKEY");
  s_.imds_disabled = false;
  s_.imds_endpoint = imds.endpoint();
  ServeAssumeRoleFor(sts, "IMDSKEY");
  auto provider = ResolveCredentialChain(s_);
  EXPECT_EQ(provider->Current().access_key_id, "ASSUMED");
  EXPECT_THAT(provider->Describe(), HasSubstr("with the credentials from EC2 instance metadata"));

  use("ecscontainer");  // the SDKs match the names without regard to case
  EXPECT_THAT(ResolveError(), HasSubstr("AWS profile default in " + home_.str() +
                                        "/.aws/credentials (missing) or " + home_.str() +
                                        "/.aws/config: credential_source ecscontainer: "
                                        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI "
                                        "are not set"));
  container.SetHandler([](const RecordedRequest&) -> ScriptedResponse {
    return {200, {}, MetadataJson("CONTAINERKEY", "2099-01-01T00:00:00Z")};
  });
  s_.container_full_uri = container.endpoint() + "/creds";
  ServeAssumeRoleFor(sts, "CONTAINERKEY");
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "ASSUMED");
  EXPECT_EQ(container.request_count(), 1u);

  // The environment's keys win over any profile (source 1), so a profile can only name them
  // when they are set, which the SDKs also allow.
  use("Environment");
  EXPECT_THAT(ResolveError(), HasSubstr("credential_source Environment: AWS_ACCESS_KEY_ID and "
                                        "AWS_SECRET_ACCESS_KEY are not set"));
  s_.env.access_key_id = "ENVKEY";
  s_.env.secret_access_key = SecretString("es");
  EXPECT_EQ(NamedCredentialSource(s_, "ENVIRONMENT")->Current().access_key_id, "ENVKEY");
  s_.env = {};

  use("Ec2InstanceMetadata\nsource_profile = other");
  EXPECT_THAT(ResolveError(), HasSubstr("role_arn takes only one of source_profile, "
                                        "credential_source and web_identity_token_file"));
  use("Lambda");
  EXPECT_THAT(ResolveError(),
              HasSubstr("credential_source Lambda: not one of Environment, Ec2InstanceMetadata "
                        "and EcsContainer"));
}

TEST_F(CredentialChainTest, ProfileWebIdentityTokenFileIsExchangedWithSts) {
  ScriptedHttpServer sts;
  sts.SetHandler([](const RecordedRequest& r) -> ScriptedResponse {
    if (r.body.find("Action=AssumeRoleWithWebIdentity") != std::string::npos &&
        r.body.find("WebIdentityToken=PROFILE.JWT") != std::string::npos &&
        !r.Header("authorization")) {
      return {200, {}, StsAnswer("AssumeRoleWithWebIdentity", "WEBKEY")};
    }
    // A profile whose source_profile is the web identity one: AssumeRole signed with WEBKEY.
    if (r.body.find("Action=AssumeRole&") != std::string::npos &&
        r.Header("authorization").value_or("").find("Credential=WEBKEY/") != std::string::npos) {
      return {200, {}, StsAnswer("AssumeRole", "CHAINED")};
    }
    return {403, {}, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>"};
  });
  s_.sts.endpoint = sts.endpoint();
  testing::WriteFile(home_.str() + "/token", "PROFILE.JWT\n");
  testing::WriteFile(home_.str() + "/.aws/config",
                     "[profile web]\nrole_arn = arn:aws:iam::1:role/web\n"
                     "web_identity_token_file = " +
                         home_.str() +
                         "/token\nrole_session_name = websess\n"
                         "[profile chained]\nrole_arn = arn:aws:iam::1:role/next\n"
                         "source_profile = web\n"
                         "[profile tokenonly]\nweb_identity_token_file = " +
                         home_.str() + "/token\n");
  s_.profile_set = true;
  s_.profile = "web";
  auto provider = ResolveCredentialChain(s_);
  EXPECT_EQ(provider->Current().access_key_id, "WEBKEY");
  EXPECT_THAT(provider->Describe(), HasSubstr("AssumeRoleWithWebIdentity of "
                                              "arn:aws:iam::1:role/web with the token in " +
                                              home_.str() + "/token"));
  EXPECT_THAT(sts.requests()[0].body, HasSubstr("RoleSessionName=websess"));
  s_.profile = "chained";
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "CHAINED");
  s_.profile = "tokenonly";
  EXPECT_THAT(ResolveError(), HasSubstr("web_identity_token_file needs role_arn"));
  EXPECT_THAT(ResolveError(), Not(HasSubstr("PROFILE.JWT")));
}

// An instance metadata service without IMDSv2: `token_answer` to the token PUT, and the
// credentials to GETs without a token.
void ServeImdsV1(ScriptedHttpServer& server, ScriptedResponse token_answer) {
  server.SetHandler([token_answer](const RecordedRequest& r) -> ScriptedResponse {
    if (r.method == "PUT") return token_answer;
    if (r.Header("x-aws-ec2-metadata-token")) return {400, {}, ""};
    if (r.Path() == "/latest/meta-data/iam/security-credentials/") return {200, {}, "v1-role\n"};
    if (r.Path() == "/latest/meta-data/iam/security-credentials/v1-role") {
      return {200, {}, MetadataJson("V1KEY", "2099-01-01T00:00:00Z")};
    }
    return {404, {}, ""};
  });
}

TEST_F(CredentialChainTest, ImdsFallsBackToV1WhenTheTokenRequestFails) {
  ScriptedHttpServer imds;
  s_.imds_disabled = false;
  s_.imds_endpoint = imds.endpoint();
  for (int status : {403, 404, 405, 500}) {
    ServeImdsV1(imds, {status, {}, ""});
    size_t before = imds.request_count();
    EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "V1KEY") << status;
    ASSERT_EQ(imds.request_count(), before + 3) << status;
    EXPECT_FALSE(imds.requests()[before + 1].Header("x-aws-ec2-metadata-token"));
  }
  // No answer to the token request (a hop limit of 1 seen from a container): IMDSv1 as well.
  s_.metadata_timeouts.stall = std::chrono::milliseconds(500);
  ScriptedResponse silent;
  silent.fault = ScriptedResponse::Fault::kNeverAnswer;
  ServeImdsV1(imds, silent);
  EXPECT_EQ(ResolveCredentialChain(s_)->Current().access_key_id, "V1KEY");

  // 400: the request is wrong, IMDSv1 would not mend it.
  ServeImdsV1(imds, {400, {}, ""});
  size_t before = imds.request_count();
  EXPECT_THAT(ResolveError(), HasSubstr("EC2 instance metadata (IMDSv2) at " + imds.endpoint() +
                                        ": the token request answered HTTP 400"));
  EXPECT_EQ(imds.request_count(), before + 1);

  s_.imds_v1_disabled = true;
  ServeImdsV1(imds, {403, {}, ""});
  before = imds.request_count();
  EXPECT_THAT(ResolveError(), HasSubstr("the token request answered HTTP 403, and "
                                        "AWS_EC2_METADATA_V1_DISABLED=true forbids IMDSv1"));
  EXPECT_EQ(imds.request_count(), before + 1);

  // A failure after the fallback says that IMDSv1 was tried, and why.
  s_.imds_v1_disabled = false;
  imds.SetHandler([](const RecordedRequest&) -> ScriptedResponse { return {404, {}, ""}; });
  EXPECT_THAT(ResolveError(),
              HasSubstr(": IMDSv1 after the token request failed (the token request answered "
                        "HTTP 404): the role listing (is a role attached?) answered HTTP 404"));
}

}  // namespace
}  // namespace walnut::s3
