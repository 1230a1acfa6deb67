#include "support/cli_runner.h"

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "support/azurite_server.h"
#include "support/gcs_server.h"
#include "support/sshd_server.h"

namespace walnut::testing {

CliRunner::CliRunner() {
  const char* path = std::getenv("PATH");
  env_["PATH"] = path ? path : "/usr/bin:/bin";
  env_["HOME"] = home_.str();
}

void CliRunner::UseFileStorage() { Set("WALG_FILE_PREFIX", storage_dir()); }

void CliRunner::UseS3Storage(const std::string& what) {
  const char* endpoint = std::getenv("WALNUT_IT_S3_ENDPOINT");
  const char* bucket = std::getenv("WALNUT_IT_S3_BUCKET");
  if (!endpoint || !bucket) {
    throw std::runtime_error(
        "WALNUT_IT_S3_ENDPOINT/WALNUT_IT_S3_BUCKET are not set: run through ctest");
  }
  Set("WALG_S3_PREFIX", std::string("s3://") + bucket + "/" + UniqueName("cli-" + what));
  Set("AWS_ENDPOINT", endpoint);
  Set("AWS_S3_FORCE_PATH_STYLE", "true");
  Set("AWS_REGION", "us-east-1");
  Set("AWS_ACCESS_KEY_ID", "S3RVER");
  Set("AWS_SECRET_ACCESS_KEY", "S3RVER");
}

void CliRunner::UseRgwStorage(const std::string& what) {
  std::optional<RgwServer> server = RgwFromEnv();
  if (!server) throw std::runtime_error(kRgwSkipMessage);
  rgw_bucket_ = std::make_shared<RgwBucket>(std::move(*server), "cli-" + what);
  for (const auto& [name, value] : rgw_bucket_->Settings("cli-" + what)) Set(name, value);
}

void CliRunner::UseSftpStorage(const std::string& what) {
  for (const auto& [name, value] : SftpCliSettings(what, work_.path())) Set(name, value);
}

void CliRunner::UseGcsStorage(const std::string& what) {
  for (const auto& [name, value] : GcsCliSettings(what, work_.path())) Set(name, value);
}

void CliRunner::UseStorage(TestStorage storage, const std::string& what) {
  switch (storage) {
    case TestStorage::kDirectory:
      return UseFileStorage();
    case TestStorage::kS3:
      return UseS3Storage(what);
    case TestStorage::kRgw:
      return UseRgwStorage(what);
    case TestStorage::kSftp:
      return UseSftpStorage(what);
    case TestStorage::kAzure:
      for (const auto& [name, value] : AzureCliSettings("cli-" + what)) Set(name, value);
      return;
    case TestStorage::kGcs:
      return UseGcsStorage(what);
  }
}

std::string CliRunner::CommandLine(const std::string& args) const {
  std::string cmd = "env -i";
  for (const auto& [name, value] : env_) cmd += " " + ShellQuote(name + "=" + value);
  return cmd + " " + WalnutBinary() + " " + args;
}

CommandResult CliRunner::Run(const std::string& args, const std::string& input) const {
  return RunCommand(CommandLine(args), input);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

MeasuredRun RunMeasured(const CliRunner& cli, const std::string& args) {
  std::string rss_file = (cli.work().path() / "peak-rss-kib").string();
  auto start = std::chrono::steady_clock::now();
  MeasuredRun run;
  run.result =
      RunCommand("/usr/bin/time -f %M -o " + ShellQuote(rss_file) + " " + cli.CommandLine(args));
  run.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::string kib = ReadFile(rss_file);
  // The last line: /usr/bin/time writes "Command exited with non-zero status N" above it.
  size_t nl = kib.find_last_of("0123456789");
  size_t begin = kib.find_last_not_of("0123456789", nl);
  run.peak_rss_mib = nl == std::string::npos
                         ? 0
                         : std::stol(kib.substr(begin == std::string::npos ? 0 : begin + 1)) / 1024;
  return run;
}

}  // namespace walnut::testing
