#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/retry.h"
#include "common/secret_string.h"

namespace walnut::s3 {

// Everything the S3 backend needs, filled from WAL-G's settings by S3OptionsFromConfig
// (s3_settings.h). Checked again by S3Storage's constructor, which throws kInvalidArgument naming
// the setting that is wrong.
struct S3Options {
  std::string bucket;
  std::string root;                  // path inside the bucket ("" or "a/b"), from s3://bucket/a/b
  std::string endpoint;              // AWS_ENDPOINT, e.g. "http://127.0.0.1:14568"; empty = AWS
  std::string region = "us-east-1";  // AWS_REGION
  bool force_path_style = false;     // AWS_S3_FORCE_PATH_STYLE (virtual-host style otherwise)
  // Empty key id = anonymous (unsigned) requests. The secrets stay SecretString down to the
  // signer, which reveals them only to compute a signature.
  std::string access_key_id;
  SecretString secret_access_key, session_token;
  std::string storage_class = "STANDARD";  // WALG_S3_STORAGE_CLASS
  // WALG_S3_SSE (AES256 | aws:kms), WALG_S3_SSE_KMS_ID (required iff aws:kms).
  std::string sse, sse_kms_id;
  std::string ca_cert_file;          // WALG_S3_CA_CERT_FILE
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
