#include "storage/s3/credentials/credential_chain.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "storage/s3/credentials/shared_files.h"

namespace walnut::s3 {

namespace {

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string SessionName(const CredentialChainSettings& s) {
  return s.role_session_name.empty() ? DefaultSessionName() : s.role_session_name;
}

std::shared_ptr<CredentialsProvider> Refreshing(const CredentialChainSettings& s,
                                                std::unique_ptr<CredentialsFetcher> fetcher) {
  return std::make_shared<RefreshingCredentialsProvider>(std::move(fetcher), s.clock);
}

bool ContainerSet(const CredentialChainSettings& s) {
  return !s.container_relative_uri.empty() || !s.container_full_uri.empty();
}

std::shared_ptr<CredentialsProvider> ContainerSource(const CredentialChainSettings& s) {
  std::string url = !s.container_relative_uri.empty()
                        ? std::string(kEcsCredentialsHost) + s.container_relative_uri
                        : s.container_full_uri;
  if (s.container_relative_uri.empty()) {
    if (std::string problem = ContainerUrlProblem(url); !problem.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI {} {}", url, problem));
    }
  }
  return Refreshing(s, std::make_unique<ContainerCredentialsFetcher>(
                           url, s.container_token, s.container_token_file, s.metadata_timeouts));
}

std::shared_ptr<CredentialsProvider> InstanceMetadataSource(const CredentialChainSettings& s) {
  return Refreshing(s, std::make_unique<InstanceMetadataFetcher>(
                           s.imds_endpoint, s.metadata_timeouts, s.imds_v1_disabled));
}

std::shared_ptr<CredentialsProvider> EnvironmentSource(const CredentialChainSettings& s) {
  return std::make_shared<StaticCredentialsProvider>(
      s.env, "the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The first source with credentials, or nullptr with `tried` saying why each was not used.
std::shared_ptr<CredentialsProvider> FirstSource(const CredentialChainSettings& s,
                                                 std::vector<std::string>& tried) {
  // 1. The environment.
  if (!s.env.access_key_id.empty()) return EnvironmentSource(s);
  tried.push_back("environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set)");
  // 2. Web identity.
  if (!s.web_identity_token_file.empty()) {
    if (s.role_arn.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN; set the role to "
                  "assume with the token");
    }
    return Refreshing(s, std::make_unique<WebIdentityFetcher>(s.sts, s.role_arn, SessionName(s),
                                                              s.web_identity_token_file));
  }
  tried.push_back("web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)");
  // 3. The shared files.
  std::string credentials_file =
      s.shared_credentials_file.empty() ? s.home + "/.aws/credentials" : s.shared_credentials_file;
  std::string config_file = s.config_file.empty() ? s.home + "/.aws/config" : s.config_file;
  SharedFiles files = SharedFiles::Load(credentials_file, config_file);
  std::string why_not;
  auto profile =
      ProfileProvider(files, s.profile, s.sts, SessionName(s), why_not, s.clock,
                      [&s](const std::string& name) { return NamedCredentialSource(s, name); });
  if (profile) return profile;
  if (s.profile_set) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("AWS_PROFILE={}: {}; fix the profile or unset AWS_PROFILE", s.profile,
                            why_not));
  }
  tried.push_back(fmt::format("shared files ({})", why_not));
  // 4. The container endpoint.
  if (ContainerSet(s)) return ContainerSource(s);
  tried.push_back("container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set)");
  // 5. The instance metadata: tried, since nothing says whether this is an EC2 instance.
  if (s.imds_disabled) {
    tried.push_back("EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)");
    return nullptr;
  }
  auto imds = InstanceMetadataSource(s);
  try {
    imds->Current();
    return imds;
  } catch (const Error& e) {
    tried.push_back(e.what());  // "EC2 instance metadata (IMDSv2) at <endpoint>: <problem>"
    return nullptr;
  }
}

}  // namespace

std::shared_ptr<CredentialsProvider> NamedCredentialSource(const CredentialChainSettings& s,
                                                           const std::string& name) {
  auto unavailable = [](std::string_view why) {
    return Error(ErrorCode::kInvalidArgument, std::string(why));
  };
  if (EqualsIgnoringCase(name, "Environment")) {
    if (s.env.access_key_id.empty()) {
      throw unavailable("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    }
    return EnvironmentSource(s);
  }
  if (EqualsIgnoringCase(name, "Ec2InstanceMetadata")) {
    if (s.imds_disabled) throw unavailable("AWS_EC2_METADATA_DISABLED=true");
    return InstanceMetadataSource(s);
  }
  if (EqualsIgnoringCase(name, "EcsContainer")) {
    if (!ContainerSet(s)) {
      throw unavailable("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
    }
    return ContainerSource(s);
  }
  throw unavailable("not one of Environment, Ec2InstanceMetadata and EcsContainer");
}

std::shared_ptr<CredentialsProvider> ResolveCredentialChain(const CredentialChainSettings& s) {
  std::vector<std::string> tried;
  std::shared_ptr<CredentialsProvider> source = FirstSource(s, tried);
  if (!source) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("no S3 credentials found; tried: {}; set AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY (or another of these sources), or set "
                            "WALNUT_S3_ANONYMOUS=true to send unsigned requests to a public "
                            "bucket",
                            Join(tried, "; ")));
  }
  // AWS_ROLE_ARN without a web identity token: the role is assumed with the source's credentials.
  if (!s.role_arn.empty() && s.web_identity_token_file.empty()) {
    source = Refreshing(
        s, std::make_unique<AssumeRoleFetcher>(s.sts, s.role_arn, SessionName(s), source));
  }
  source->Current();  // fetch now: a source that fails stops the command before any work
  spdlog::debug("s3 credentials from {}", source->Describe());
  return source;
}

CredentialChainProvider::CredentialChainProvider(CredentialChainSettings settings)
    : settings_(std::move(settings)) {}

std::shared_ptr<CredentialsProvider> CredentialChainProvider::Resolved() {
  MutexLock lock(mu_);
  if (!resolved_) resolved_ = ResolveCredentialChain(settings_);
  return resolved_;
}

Credentials CredentialChainProvider::Current() { return Resolved()->Current(); }

bool CredentialChainProvider::RenewAfterRejection(const Credentials& rejected) {
  return Resolved()->RenewAfterRejection(rejected);
}

std::string CredentialChainProvider::Describe() const {
  MutexLock lock(mu_);
  return resolved_ ? resolved_->Describe() : "the AWS credentials chain";
}

}  // namespace walnut::s3
