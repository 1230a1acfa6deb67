#include "storage/s3/credentials/shared_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "storage/s3/credentials/credential_process.h"

namespace walnut::s3 {

namespace {

constexpr size_t kMaxFileSize = 4 << 20;

// Reads and parses `path`; false when it does not exist.
bool ReadIni(const std::string& path, IniFile& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("cannot read the AWS shared file {}: {}", path, std::strerror(errno)));
  }
  std::string text(kMaxFileSize + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxFileSize) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the AWS shared file {} is larger than 4 MiB", path));
  }
  const SecretString secret_text(std::move(text));  // wiped once parsed
  out = ParseIni(secret_text.Reveal(), path);
  return true;
}

std::string Get(const IniSection& section, const char* key) {
  auto it = section.find(key);
  return it == section.end() ? "" : it->second;
}

// The source of a profile's role_arn; the profile is in `visiting` (loops).
struct ResolveContext {
  const SharedFiles& files;
  const StsOptions& sts;
  const std::string& session_name;
  const WallClock& clock;
  const CredentialSourceFn& credential_source;
  std::set<std::string> visiting;
};

std::shared_ptr<CredentialsProvider> Resolve(ResolveContext& ctx, const std::string& profile,
                                             std::string& why_not);

// The provider of a profile's role_arn: from web_identity_token_file, credential_source or
// source_profile, exactly one of which must be given (as the SDKs check).
std::shared_ptr<CredentialsProvider> RoleProvider(ResolveContext& ctx, const std::string& profile,
                                                  const IniSection& section,
                                                  const std::function<Error(std::string)>& broken) {
  const std::string role_arn = Get(section, "role_arn");
  const std::string source_profile = Get(section, "source_profile");
  const std::string credential_source = Get(section, "credential_source");
  const std::string token_file = Get(section, "web_identity_token_file");
  int sources = !source_profile.empty() + !credential_source.empty() + !token_file.empty();
  if (sources == 0) {
    throw broken("role_arn needs source_profile, credential_source or web_identity_token_file");
  }
  if (sources > 1) {
    throw broken(
        "role_arn takes only one of source_profile, credential_source and "
        "web_identity_token_file; remove the others");
  }
  std::string name = Get(section, "role_session_name");
  const std::string& session = name.empty() ? ctx.session_name : name;
  if (!token_file.empty()) {
    return std::make_shared<RefreshingCredentialsProvider>(
        std::make_unique<WebIdentityFetcher>(ctx.sts, role_arn, session, token_file), ctx.clock);
  }
  std::shared_ptr<CredentialsProvider> source;
  if (!credential_source.empty()) {
    if (!ctx.credential_source) throw broken("credential_source is not available here");
    try {
      source = ctx.credential_source(credential_source);
    } catch (const Error& e) {
      throw broken(fmt::format("credential_source {}: {}", credential_source, e.what()));
    }
  } else if (!ctx.visiting.insert(profile).second) {
    throw broken(
        fmt::format("source_profile {} leads back to profile {}", source_profile, profile));
  } else if (source_profile == profile) {
    // A profile may assume its role with its own keys (as the SDKs allow).
    std::string key_id = Get(section, "aws_access_key_id");
    std::string secret = Get(section, "aws_secret_access_key");
    if (key_id.empty() || secret.empty()) throw broken("source_profile is itself but has no keys");
    Credentials c{key_id, SecretString(secret), SecretString(Get(section, "aws_session_token"))};
    source = std::make_shared<StaticCredentialsProvider>(
        std::move(c), fmt::format("the keys of AWS profile {}", profile));
  } else {
    std::string source_why;
    source = Resolve(ctx, source_profile, source_why);
    if (!source) throw broken(fmt::format("its source_profile: {}", source_why));
  }
  auto fetcher = std::make_unique<AssumeRoleFetcher>(ctx.sts, role_arn, session, std::move(source));
  return std::make_shared<RefreshingCredentialsProvider>(std::move(fetcher), ctx.clock);
}

std::shared_ptr<CredentialsProvider> Resolve(ResolveContext& ctx, const std::string& profile,
                                             std::string& why_not) {
  const SharedFiles& files = ctx.files;
  auto broken = [&](std::string problem) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("AWS profile {} in {}: {}", profile, files.Where(), problem));
  };
  std::optional<IniSection> section = files.Find(profile);
  if (!section) {
    why_not = fmt::format("no profile {} in {}", profile, files.Where());
    return nullptr;
  }
  std::string key_id = Get(*section, "aws_access_key_id");
  std::string secret = Get(*section, "aws_secret_access_key");
  if (!Get(*section, "role_arn").empty()) return RoleProvider(ctx, profile, *section, broken);
  if (!Get(*section, "web_identity_token_file").empty()) {
    throw broken("web_identity_token_file needs role_arn, the role to assume with the token");
  }
  if (!key_id.empty() || !secret.empty()) {
    if (key_id.empty() || secret.empty()) {
      throw broken("aws_access_key_id and aws_secret_access_key must be given together");
    }
    Credentials c{key_id, SecretString(secret), SecretString(Get(*section, "aws_session_token"))};
    return std::make_shared<StaticCredentialsProvider>(
        std::move(c), fmt::format("AWS profile {} in {}", profile, files.Where()));
  }
  std::string process = Get(*section, "credential_process");
  if (!process.empty()) {
    return std::make_shared<RefreshingCredentialsProvider>(
        std::make_unique<CredentialProcessFetcher>(process, profile), ctx.clock);
  }
  why_not = fmt::format(
      "profile {} in {} has no credentials (keys, role_arn or "
      "credential_process)",
      profile, files.Where());
  return nullptr;
}

}  // namespace

SharedFiles SharedFiles::Load(std::string credentials_path, std::string config_path) {
  SharedFiles files;
  files.credentials_path_ = std::move(credentials_path);
  files.config_path_ = std::move(config_path);
  files.credentials_exists_ = ReadIni(files.credentials_path_, files.credentials_);
  files.config_exists_ = ReadIni(files.config_path_, files.config_);
  return files;
}

std::optional<IniSection> SharedFiles::Find(const std::string& profile) const {
  std::optional<IniSection> out;
  // The config file names profiles "[profile x]", except "[default]" (botocore also accepts
  // "[profile default]").
  for (const std::string& name :
       {std::string("profile ") + profile, profile == "default" ? profile : std::string()}) {
    if (name.empty()) continue;
    auto it = config_.find(name);
    if (it == config_.end()) continue;
    if (!out) out.emplace();
    for (const auto& [k, v] : it->second) (*out)[k] = v;
  }
  if (auto it = credentials_.find(profile); it != credentials_.end()) {
    if (!out) out.emplace();
    for (const auto& [k, v] : it->second) (*out)[k] = v;
  }
  return out;
}

std::string SharedFiles::Where() const {
  return fmt::format("{}{} or {}{}", credentials_path_, credentials_exists_ ? "" : " (missing)",
                     config_path_, config_exists_ ? "" : " (missing)");
}

std::shared_ptr<CredentialsProvider> ProfileProvider(const SharedFiles& files,
                                                     const std::string& profile,
                                                     const StsOptions& sts,
                                                     const std::string& session_name,
                                                     std::string& why_not, WallClock clock,
                                                     const CredentialSourceFn& credential_source) {
  ResolveContext ctx{files, sts, session_name, clock, credential_source, {}};
  return Resolve(ctx, profile, why_not);
}

}  // namespace walnut::s3
