#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/secret_string.h"
#include "storage/s3/credentials/credentials_provider.h"

namespace walnut::s3 {

// Short, bounded timeouts for the metadata endpoints, as the AWS SDKs use (1 s to connect, a few
// seconds per answer): off-cloud, or with a firewall dropping packets, the chain gives up on
// them quickly instead of hanging the command.
struct MetadataTimeouts {
  std::chrono::milliseconds connect{1000};
  std::chrono::milliseconds stall{2000};
};

// ECS task roles and EKS Pod Identity: a GET of the container credentials endpoint,
// http://169.254.170.2<AWS_CONTAINER_CREDENTIALS_RELATIVE_URI> or
// AWS_CONTAINER_CREDENTIALS_FULL_URI, with Authorization: AWS_CONTAINER_AUTHORIZATION_TOKEN or
// the content of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read at each fetch).
class ContainerCredentialsFetcher final : public CredentialsFetcher {
 public:
  ContainerCredentialsFetcher(std::string url, SecretString token, std::string token_file,
                              MetadataTimeouts timeouts = {});
  TimedCredentials Fetch() override;
  std::string Describe() const override;

 private:
  const std::string url_;
  const SecretString token_;
  const std::string token_file_;
  const MetadataTimeouts timeouts_;
};

// The SDKs' rule for AWS_CONTAINER_CREDENTIALS_FULL_URI: https, or http to a loopback address
// or to the ECS / EKS Pod Identity addresses (169.254.170.2, 169.254.170.23, fd00:ec2::23).
// Returns "" when `url` is allowed, else why not.
std::string ContainerUrlProblem(const std::string& url);

// The instance metadata endpoints of AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE IPv4 and IPv6.
inline constexpr std::string_view kImdsIpv4Endpoint = "http://169.254.169.254";
inline constexpr std::string_view kImdsIpv6Endpoint = "http://[fd00:ec2::254]";

// EC2 instance metadata, IMDSv2: PUT /latest/api/token, then the role name from
// /latest/meta-data/iam/security-credentials/ and its credentials. `endpoint` is
// http://169.254.169.254 or AWS_EC2_METADATA_SERVICE_ENDPOINT. When the token request fails
// (any status but 400, or no answer) the GETs are sent without a token (IMDSv1), as the AWS SDK
// for Go that WAL-G uses does, unless `v1_disabled` (AWS_EC2_METADATA_V1_DISABLED).
class InstanceMetadataFetcher final : public CredentialsFetcher {
 public:
  explicit InstanceMetadataFetcher(std::string endpoint, MetadataTimeouts timeouts = {},
                                   bool v1_disabled = false);
  // Throws Error(kNetwork) naming the endpoint when it does not answer in time, and
  // Error(kPermissionDenied) when it answers without credentials (no role attached); after a
  // failed token request the message says so, and why IMDSv1 was or was not tried.
  TimedCredentials Fetch() override;
  std::string Describe() const override;

 private:
  std::string endpoint_;  // without a trailing '/'
  const MetadataTimeouts timeouts_;
  const bool v1_disabled_;
};

}  // namespace walnut::s3
