#pragma once

#include <memory>
#include <string>

#include "common/mutex.h"
#include "common/secret_string.h"
#include "storage/s3/credentials/credentials_provider.h"
#include "storage/s3/credentials/metadata_endpoints.h"
#include "storage/s3/credentials/sts.h"

namespace walnut::s3 {

// What the chain reads, from WAL-G's and the AWS SDKs' settings (s3_settings.cc fills it).
struct CredentialChainSettings {
  // 1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
  Credentials env;
  // 2. AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN; AWS_ROLE_ARN alone: AssumeRole with the
  // credentials of whichever source comes first.
  std::string role_arn, role_session_name, web_identity_token_file;
  // 3. AWS_PROFILE (profile_set: given explicitly, so a missing one is an error),
  // AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE; defaults under home/.aws.
  std::string profile = "default";
  bool profile_set = false;
  std::string shared_credentials_file, config_file, home;
  // 4. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN /
  // _FILE.
  std::string container_relative_uri, container_full_uri, container_token_file;
  SecretString container_token;
  // 5. AWS_EC2_METADATA_SERVICE_ENDPOINT (else that of AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE),
  // AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_V1_DISABLED.
  std::string imds_endpoint = std::string(kImdsIpv4Endpoint);
  bool imds_disabled = false;
  bool imds_v1_disabled = false;
  MetadataTimeouts metadata_timeouts;
  // STS for the roles: AWS_ENDPOINT_URL_STS, else the regional endpoint of `sts.region`.
  StsOptions sts;
  WallClock clock = SystemWallClock();
};

// The host of ECS's container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI).
inline constexpr std::string_view kEcsCredentialsHost = "http://169.254.170.2";

// The source a profile's credential_source names (Environment, Ec2InstanceMetadata, EcsContainer;
// any case), built from these settings; credentials are not fetched yet. Throws
// Error(kInvalidArgument) when that source is not set up (or disabled), or for another name.
std::shared_ptr<CredentialsProvider> NamedCredentialSource(const CredentialChainSettings& s,
                                                           const std::string& name);

// Walks the sources in the AWS SDKs' order and returns the provider of the first that has
// credentials, with its first credentials already fetched. A source that is configured but
// fails (a broken profile, an STS refusal, a container endpoint that does not answer) is the
// error, naming it; the instance metadata, which is only guessed at, is skipped when it does not
// answer. With no source: Error(kInvalidArgument) "no S3 credentials found; tried: <each source
// and why it was not used>; ...".
std::shared_ptr<CredentialsProvider> ResolveCredentialChain(const CredentialChainSettings& s);

// Resolves the chain at its first use (S3Storage's opening asks at once, so a command fails before
// any work), then hands out that provider's credentials. Thread-safe.
class CredentialChainProvider final : public CredentialsProvider {
 public:
  explicit CredentialChainProvider(CredentialChainSettings settings);
  Credentials Current() override;
  bool RenewAfterRejection(const Credentials& rejected) override;
  std::string Describe() const override;

 private:
  std::shared_ptr<CredentialsProvider> Resolved();

  const CredentialChainSettings settings_;
  mutable Mutex mu_;
  std::shared_ptr<CredentialsProvider> resolved_ GUARDED_BY(mu_);
};

}  // namespace walnut::s3
