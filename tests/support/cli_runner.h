#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/rgw_bucket.h"
#include "support/test_storage.h"
#include "support/test_util.h"

namespace walnut::testing {

// Runs the built walnut binary with exactly the given environment (plus PATH and a private HOME,
// so that neither the runner's WALG_* variables nor a ~/.walg.json leak in).
class CliRunner {
 public:
  CliRunner();
  void Set(const std::string& name, const std::string& value) { env_[name] = value; }
  void Unset(const std::string& name) { env_.erase(name); }
  // Takes over every variable of `other` except PATH and HOME (e.g. the same storage settings).
  void CopySettingsFrom(const CliRunner& other) {
    for (const auto& [name, value] : other.env_) {
      if (name != "PATH" && name != "HOME") env_[name] = value;
    }
    rgw_bucket_ = other.rgw_bucket_;
  }
  // Every variable the binary gets (PATH and HOME too), e.g. to open the same storage in-process.
  const std::map<std::string, std::string>& variables() const { return env_; }
  // Local-directory storage in a fresh temporary directory.
  void UseFileStorage();
  // The s3rver of the ctest fixture, under a root of its own.
  void UseS3Storage(const std::string& what);
  // A new bucket on the fixture's Ceph RGW (support/rgw_bucket.h), deleted with the last runner
  // sharing it (CopySettingsFrom shares it). Throws std::runtime_error when no RGW is configured.
  void UseRgwStorage(const std::string& what);
  // The fixture's OpenSSH server over SFTP, under a root of its own (support/sshd_server.h).
  void UseSftpStorage(const std::string& what);
  // The scripted GCS server of this test process, under a root of its own
  // (support/gcs_server.h).
  void UseGcsStorage(const std::string& what);
  // One of the five above; `what` names the S3, SFTP or GCS root or the RGW bucket.
  void UseStorage(TestStorage storage, const std::string& what);

  CommandResult Run(const std::string& args, const std::string& input = "") const;
  // The command line Run() would execute, for wrapping (e.g. in /usr/bin/time).
  std::string CommandLine(const std::string& args) const;

  std::string home() const { return home_.str(); }
  std::string storage_dir() const { return (storage_.path() / "store").string(); }
  const TempDir& work() const { return work_; }
  // The RGW bucket of UseRgwStorage, or nullptr.
  const RgwBucket* rgw_bucket() const { return rgw_bucket_.get(); }

 private:
  TempDir home_;
  TempDir storage_;
  TempDir work_;
  std::map<std::string, std::string> env_;
  std::shared_ptr<RgwBucket> rgw_bucket_;
};

// The lines of `text`, without empty ones.
std::vector<std::string> Lines(const std::string& text);

// A command run under /usr/bin/time: its result, its peak resident memory and how long it took.
struct MeasuredRun {
  CommandResult result;
  long peak_rss_mib = 0;
  std::chrono::milliseconds took{0};
};
MeasuredRun RunMeasured(const CliRunner& cli, const std::string& args);

}  // namespace walnut::testing
