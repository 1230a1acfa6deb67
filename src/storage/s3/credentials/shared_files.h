#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/s3/credentials/credentials_provider.h"
#include "storage/s3/credentials/ini_file.h"
#include "storage/s3/credentials/sts.h"

namespace walnut::s3 {

// The AWS shared credentials file (~/.aws/credentials, sections "[name]") and config file
// (~/.aws/config, sections "[profile name]" and "[default]"), read once. Thread-compatible.
class SharedFiles {
 public:
  // Reads both; a file that does not exist is fine (it is said so in Where()). Throws
  // Error(kInvalidArgument) naming the file (and line) when one cannot be read or parsed.
  static SharedFiles Load(std::string credentials_path, std::string config_path);

  // The profile's settings, the credentials file's winning over the config file's; nullopt when
  // neither file has the profile.
  std::optional<IniSection> Find(const std::string& profile) const;
  // "~/.aws/credentials (missing) or /home/u/.aws/config": for messages.
  std::string Where() const;

 private:
  std::string credentials_path_, config_path_;
  bool credentials_exists_ = false, config_exists_ = false;
  IniFile credentials_, config_;
};

// A profile's credential_source ("Environment", "Ec2InstanceMetadata", "EcsContainer", any
// case): the chain's provider of that source. Throws Error(kInvalidArgument) saying what is
// missing, or that the name is none of those.
using CredentialSourceFn = std::function<std::shared_ptr<CredentialsProvider>(const std::string&)>;

// The provider for `profile`: its static keys (aws_access_key_id, aws_secret_access_key,
// aws_session_token), its credential_process, or its role_arn assumed with the credentials of
// source_profile (chains of those) or of `credential_source`, or exchanged for its
// web_identity_token_file (AssumeRoleWithWebIdentity), as the AWS SDKs. Returns nullptr when the
// profile does not exist or holds no credentials, with `why_not` saying which. Throws
// Error(kInvalidArgument) naming the profile and the files for a profile that is broken: a key
// without its secret, role_arn with none or several of source_profile, credential_source and
// web_identity_token_file, a source_profile that is missing or loops, a credential_source that is
// unknown or not set up (or `credential_source` empty: not available).
std::shared_ptr<CredentialsProvider> ProfileProvider(
    const SharedFiles& files, const std::string& profile, const StsOptions& sts,
    const std::string& session_name, std::string& why_not, WallClock clock = SystemWallClock(),
    const CredentialSourceFn& credential_source = {});

}  // namespace walnut::s3
