#include "support/walnut_config.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "support/azurite_server.h"
#include "support/cli_runner.h"
#include "support/gcs_server.h"
#include "support/pg_cluster.h"
#include "support/sshd_server.h"

namespace walnut::testing {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A prefix no other test (or earlier run against the same s3rver) uses.
std::string UniqueS3Prefix(const std::string& what) {
  const char* bucket = std::getenv("WALNUT_IT_S3_BUCKET");
  if (!bucket || !*bucket) throw std::runtime_error("WALNUT_IT_S3_BUCKET is not set");
  return std::string("s3://") + bucket + "/" + UniqueName("pg-" + what);
}

}  // namespace

WalnutConfig::WalnutConfig(TestStorage storage, const std::string& what)
    : storage_(storage), path_(dir_.path() / "walnut.json") {
  if (storage == TestStorage::kDirectory) {
    std::filesystem::create_directories(storage_dir());
    settings_["WALG_FILE_PREFIX"] = storage_dir().string();
  } else if (storage == TestStorage::kSftp) {
    settings_ = SftpCliSettings("pg-" + what, dir_.path());
  } else if (storage == TestStorage::kAzure) {
    settings_ = AzureCliSettings("pg-" + what);
  } else if (storage == TestStorage::kGcs) {
    settings_ = GcsCliSettings("pg-" + what, dir_.path());
  } else if (storage == TestStorage::kRgw) {
    std::optional<RgwServer> server = RgwFromEnv();
    if (!server) throw std::runtime_error(kRgwSkipMessage);
    rgw_bucket_ = std::make_unique<RgwBucket>(std::move(*server), what);
    settings_ = rgw_bucket_->Settings("pg-" + what);
  } else {
    const char* endpoint = std::getenv("WALNUT_IT_S3_ENDPOINT");
    if (!endpoint || !*endpoint) throw std::runtime_error("WALNUT_IT_S3_ENDPOINT is not set");
    settings_["WALG_S3_PREFIX"] = UniqueS3Prefix(what);
    settings_["AWS_ENDPOINT"] = endpoint;
    settings_["AWS_S3_FORCE_PATH_STYLE"] = "true";
    settings_["AWS_ACCESS_KEY_ID"] = "S3RVER";
    settings_["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
    settings_["AWS_REGION"] = "us-east-1";
  }
  Write();
  GrantToPgRunUser(dir_.path());
}

void WalnutConfig::SetLibsodiumKey(const std::string& key_hex) {
  settings_["WALG_LIBSODIUM_KEY"] = key_hex;
  Set("WALG_LIBSODIUM_KEY_TRANSFORM", "hex");
}

void WalnutConfig::SetPgpKey(const std::string& key, const std::string& passphrase) {
  std::filesystem::path key_path = dir_.path() / "pgp-key.asc";
  WriteFile(key_path, key);
  GrantToPgRunUser(key_path);
  if (!passphrase.empty()) settings_["WALG_PGP_KEY_PASSPHRASE"] = passphrase;
  Set("WALG_PGP_KEY_PATH", key_path.string());
}

void WalnutConfig::Set(const std::string& name, const std::string& value) {
  settings_[name] = value;
  Write();
}

void WalnutConfig::Unset(const std::string& name) {
  settings_.erase(name);
  Write();
}

std::string WalnutConfig::Setting(const std::string& name) const {
  auto it = settings_.find(name);
  return it == settings_.end() ? "" : it->second;
}

std::filesystem::path WalnutConfig::storage_dir() const {
  if (storage_ != TestStorage::kDirectory) throw std::logic_error("not a directory storage");
  return dir_.path() / "store";
}

void WalnutConfig::Write() const {
  std::string json = "{\n";
  for (auto it = settings_.begin(); it != settings_.end(); ++it) {
    json += "  " + JsonString(it->first) + ": " + JsonString(it->second);
    json += std::next(it) == settings_.end() ? "\n" : ",\n";
  }
  json += "}\n";
  // Write a new file and rename it over the old one: a command PostgreSQL starts meanwhile reads
  // either version whole.
  std::filesystem::path tmp = path_;
  tmp += ".new";
  WriteFile(tmp, json);
  GrantToPgRunUser(tmp);
  std::filesystem::rename(tmp, path_);
}

std::string WalnutConfig::CommandLine(const std::string& args) const {
  return WalnutBinary() + " --config " + ShellQuote(path_.string()) + " " + args;
}

std::string WalnutConfig::IsolatedCommandLine(const std::string& args) const {
  const char* path = std::getenv("PATH");
  return "env -i PATH=" + ShellQuote(path ? path : "/usr/bin:/bin") +
         " HOME=" + ShellQuote(dir_.str()) + " " + CommandLine(args);
}

CommandResult WalnutConfig::Run(const std::string& args, const std::string& input) const {
  return RunCommand(AsPgRunUser(IsolatedCommandLine(args)), input);
}

std::vector<std::string> WalnutConfig::ListObjects(const std::string& folder) const {
  CommandResult r = Run("st ls -r " + ShellQuote(folder));
  EXPECT_EQ(r.exit_code, 0) << "st ls " << folder << ": " << r.err;
  std::vector<std::string> names;
  for (const auto& line : Lines(r.out)) {
    if (line.rfind("obj ", 0) != 0) continue;  // the header and folders
    names.push_back(line.substr(line.rfind(' ') + 1));
  }
  return names;
}

std::string ExtensionOf(const std::string& method) {
  if (method == "lz4") return ".lz4";
  if (method == "zstd") return ".zst";
  if (method == "brotli") return ".br";
  if (method == "lzma") return ".lzma";
  return "";
}

std::vector<std::string> BackupNames(const WalnutConfig& config) {
  CommandResult r = config.Run("backup-list");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& line : Lines(r.out)) {
    if (line.rfind("backup_name ", 0) != 0) names.push_back(line.substr(0, line.find(' ')));
  }
  return names;
}

}  // namespace walnut::testing
