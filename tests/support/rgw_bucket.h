#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret_string.h"
#include "storage/s3/s3_options.h"
#include "storage/s3/s3_storage.h"

namespace walnut::testing {

// The Ceph RADOS Gateway the integration tests may use: a real S3 that checks SigV4 (also
// aws-chunked), multipart, versioning, Object Lock and STS the way AWS does. Started by
// tests/tools/ceph-rgw.sh (ctest's rgw_up fixture when CMake found radosgw), which prints the
// WALNUT_IT_RGW_* variables this reads.
struct RgwServer {
  std::string endpoint;     // WALNUT_IT_RGW_ENDPOINT, "http://127.0.0.1:<port>"
  std::string access_key;   // WALNUT_IT_RGW_ACCESS_KEY, the S3 user's key id
  SecretString secret_key;  // WALNUT_IT_RGW_SECRET_KEY
  std::string region;    // WALNUT_IT_RGW_REGION: the zonegroup's name, GetBucketLocation's answer
  std::string role_arn;  // WALNUT_IT_RGW_ROLE_ARN: a role the user may AssumeRole, allowed s3:*
};

// The server named by the WALNUT_IT_RGW_* variables, or nullopt when WALNUT_IT_RGW_ENDPOINT is
// unset or empty (RGW not started: the RGW cases skip). Throws std::runtime_error when the
// endpoint is set but another of the variables is missing, and when it is unset in a build
// configured with WALNUT_TEST_RGW=ON (CI): there a missing RGW fails the RGW cases, never skips
// them.
std::optional<RgwServer> RgwFromEnv();

// The message RGW cases skip with when RgwFromEnv() is nullopt.
inline constexpr const char* kRgwSkipMessage =
    "WALNUT_IT_RGW_ENDPOINT is unset: no Ceph RGW to test against (ctest starts one through "
    "tests/tools/ceph-rgw.sh when CMake finds radosgw; see docs/testing.md)";

// In a TEST body or SetUp: skips the test unless an RGW is configured (fails it when the build
// requires RGW: see RgwFromEnv).
#define WALNUT_SKIP_WITHOUT_RGW()                                                             \
  do {                                                                                        \
    if (!::walnut::testing::RgwFromEnv()) GTEST_SKIP() << ::walnut::testing::kRgwSkipMessage; \
  } while (0)

struct RgwBucketOptions {
  bool versioning = false;   // PutBucketVersioning Enabled after creation
  bool object_lock = false;  // x-amz-bucket-object-lock-enabled: true at creation (implies
                             // versioning, as on AWS); no default retention is set
};

// A bucket of the test's own on `server`, with a name no other test or run uses (lower case,
// 3..63 characters, derived from `what`), created with the zonegroup's LocationConstraint.
// The destructor empties it (every version, bypassing GOVERNANCE retention) and deletes it, best
// effort: objects under COMPLIANCE retention or a legal hold stay until RGW is stopped.
// Not thread-safe; movable, not copyable.
class RgwBucket {
 public:
  // Throws walnut::Error naming the bucket and the S3 error when creation fails.
  RgwBucket(RgwServer server, std::string_view what, RgwBucketOptions options = {});
  ~RgwBucket();
  RgwBucket(RgwBucket&& other) noexcept;
  RgwBucket& operator=(RgwBucket&&) = delete;
  RgwBucket(const RgwBucket&) = delete;
  RgwBucket& operator=(const RgwBucket&) = delete;

  const std::string& name() const { return name_; }
  // The keys of multipart uploads begun and neither completed nor aborted (ListMultipartUploads):
  // what a failed upload must not leave behind (AWS bills their parts until they are aborted).
  std::vector<std::string> OpenUploadKeys() const;
  const RgwServer& server() const { return server_; }

  // Options for an in-process S3Storage on this bucket under `root` ("" = the whole bucket),
  // signed with the user's static keys, path style, short retry delays.
  s3::S3Options Options(const std::string& root = "") const;
  // The same as WAL-G settings (WALG_S3_PREFIX=s3://<bucket>/<root>, AWS_ENDPOINT, AWS_REGION,
  // AWS_S3_FORCE_PATH_STYLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), for CliRunner::Set or
  // WalnutConfig::Set.
  std::map<std::string, std::string> Settings(const std::string& root = "") const;

 private:
  void Empty() const;

  RgwServer server_;
  std::string name_;
  bool versioned_ = false;
};

namespace internal {
// Holds the bucket of an RgwBucketStorage, as its first base: built before the storage, and
// destroyed (emptied and deleted) after it.
struct OwnedRgwBucket {
  explicit OwnedRgwBucket(RgwBucket b) : owned_bucket(std::move(b)) {}
  RgwBucket owned_bucket;
};
}  // namespace internal

// An S3Storage (Walnut's own backend) on a bucket of its own, which goes with it: for a test, or a
// storage conformance factory, that wants a fresh bucket per storage.
class RgwBucketStorage : private internal::OwnedRgwBucket, public s3::S3Storage {
 public:
  explicit RgwBucketStorage(RgwBucket bucket, const std::string& root = "")
      : OwnedRgwBucket(std::move(bucket)), S3Storage(owned_bucket.Options(root)) {}
  const RgwBucket& bucket() const { return owned_bucket; }
};

}  // namespace walnut::testing
