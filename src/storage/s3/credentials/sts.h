#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "storage/s3/credentials/credentials_provider.h"

namespace walnut::s3 {

// Where STS is and how to reach it.
struct StsOptions {
  // https://sts.<region>.amazonaws.com (regional, as the SDKs now default), or
  // AWS_ENDPOINT_URL_STS. Requests are POSTed to it, form-encoded (STS's Query API).
  std::string endpoint;
  std::string region;        // signs AssumeRole
  std::string ca_cert_file;  // WALG_S3_CA_CERT_FILE / AWS_CA_BUNDLE, as for S3
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds stall_timeout{10000};
  int duration_seconds = 3600;  // the role session's lifetime (STS's default)
};

// The regional STS endpoint for `region`.
std::string RegionalStsEndpoint(std::string_view region);

// The <Credentials> of an AssumeRole / AssumeRoleWithWebIdentity answer (`action`). Throws
// Error(kProtocol) "<source>: ..." for anything else; never quotes the document.
TimedCredentials ParseStsCredentials(std::string_view xml, std::string_view action,
                                     std::string_view source);

// STS AssumeRole, signed with the source's credentials (AWS_ROLE_ARN with any source; a
// profile's role_arn + source_profile).
class AssumeRoleFetcher final : public CredentialsFetcher {
 public:
  AssumeRoleFetcher(StsOptions sts, std::string role_arn, std::string session_name,
                    std::shared_ptr<CredentialsProvider> source);
  // Throws Error naming the role, the STS endpoint and STS's code and message.
  TimedCredentials Fetch() override;
  std::string Describe() const override;

 private:
  const StsOptions sts_;
  const std::string role_arn_, session_name_;
  const std::shared_ptr<CredentialsProvider> source_;
};

// STS AssumeRoleWithWebIdentity (unsigned) with the token read from `token_file` at each fetch
// (Kubernetes rotates it).
class WebIdentityFetcher final : public CredentialsFetcher {
 public:
  WebIdentityFetcher(StsOptions sts, std::string role_arn, std::string session_name,
                     std::string token_file);
  TimedCredentials Fetch() override;
  std::string Describe() const override;

 private:
  const StsOptions sts_;
  const std::string role_arn_, session_name_, token_file_;
};

// "walnut-<unix seconds>": the session name when AWS_ROLE_SESSION_NAME is unset.
std::string DefaultSessionName();

}  // namespace walnut::s3
