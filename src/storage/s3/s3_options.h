#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/retry.h"
#include "common/secret_string.h"
#include "net/http_client.h"

namespace walnut::s3 {

class CredentialsProvider;

// Everything the S3 backend needs, filled from WAL-G's settings by S3OptionsFromConfig
// (s3_settings.h). Checked again by S3Storage's constructor, which throws kInvalidArgument naming
// the setting that is wrong.
struct S3Options {
  std::string bucket;
  std::string root;      // path inside the bucket ("" or "a/b"), from s3://bucket/a/b
  std::string endpoint;  // AWS_ENDPOINT, e.g. "http://127.0.0.1:14568"; empty = AWS
  // AWS_REGION. Empty: the client asks the bucket for its region before its first request
  // (bucket_region.h); S3OptionsFromConfig leaves it empty only for AWS's endpoints, as WAL-G.
  std::string region;
  bool dual_stack = false;  // AWS_DUAL_STACK: s3.dualstack.REGION.amazonaws.com without endpoint
  bool force_path_style = false;  // AWS_S3_FORCE_PATH_STYLE (virtual-host style otherwise)
  // Empty key id = anonymous (unsigned) requests. The secrets stay SecretString down to the
  // signer, which reveals them only to compute a signature.
  std::string access_key_id;
  SecretString secret_access_key, session_token;
  // Where the credentials come from (credentials/credential_chain.h); when null, the fixed ones
  // above.
  std::shared_ptr<CredentialsProvider> credentials;
  std::string storage_class = "STANDARD";  // WALG_S3_STORAGE_CLASS
  // WALG_S3_SSE (AES256 | aws:kms), WALG_S3_SSE_KMS_ID (required iff aws:kms).
  std::string sse, sse_kms_id;
  // WALG_S3_SSE_C: the 32-byte customer key (SSE-C), sent with every request that writes or reads
  // object content; empty = none.
  SecretString sse_customer_key;
  // S3_RETENTION_PERIOD (days, -1 = none) and S3_RETENTION_MODE (GOVERNANCE | COMPLIANCE): every
  // object created is locked until creation time + the period (s3_object_lock.h).
  int retention_days = -1;
  std::string retention_mode = "GOVERNANCE";
  // S3_ENABLE_VERSIONING: whether Delete removes every version of a key (s3_versioning.h).
  enum class Versioning { kDetect, kEnabled, kDisabled } versioning = Versioning::kDetect;
  std::string ca_cert_file;  // WALG_S3_CA_CERT_FILE, else AWS_CA_BUNDLE
  // S3_REQUEST_ADDITIONAL_HEADERS: added to (and signed in) every request; values never logged.
  net::HttpHeaders additional_headers;
  // !S3_DISABLE_100_CONTINUE: PUT and POST bodies of 2 MiB and more wait for "100 Continue".
  // On by default, as the setting's default (false) is.
  bool expect_continue = true;
  bool list_objects_v1 = false;      // WALG_S3_USE_LIST_OBJECTS_V1
  size_t max_part_size = 20 << 20;   // WALG_S3_MAX_PART_SIZE; 5 MiB .. 5 GiB
  size_t upload_concurrency = 4;     // parts in flight per writer
  size_t read_chunk_size = 8 << 20;  // bytes per ranged GET; two chunks are buffered per reader
  int list_max_keys = 1000;          // keys per ListObjectsV2 page (1..1000); small in tests
  size_t delete_batch_size =
      1000;  // keys per DeleteObjects request (1..1000); S3_DELETE_BATCH_SIZE
  // Attempts (WALG_S3_MAX_RETRIES + 1) and the time budget of one request
  // (WALNUT_STORAGE_RETRY_TIMEOUT): one part upload, one ranged GET chunk, one list page.
  RetryPolicy retry{.budget = std::chrono::seconds(30)};
  // Abort a transfer during which no byte moves for this long (checked about once a second), and
  // a connection (name resolution and TLS included) not made within connect_timeout. 0: derived
  // from the retry budget (StallTimeoutFor, ConnectTimeoutFor).
  std::chrono::milliseconds connect_timeout{0};
  std::chrono::milliseconds stall_timeout{0};
};

}  // namespace walnut::s3
