#pragma once

#include <cstdint>
#include <map>

// Process-wide counters of what a command did, for the statsd push at its end (WAL-G's
// walg_uploader_* and walg_s3_* metrics). Thread-safe; counting costs one atomic add.
namespace walnut::stats {

// An upload through the pipeline finished (`ok`) or failed at its commit.
void CountUploadedFile(bool ok);
// An HTTP answer from S3 with `status`, after `bytes_sent` request body bytes.
void CountS3Response(long status, uint64_t bytes_sent);
// Response body bytes received from S3.
void CountS3BytesRead(uint64_t bytes);

struct Snapshot {
  uint64_t uploaded_files = 0;
  uint64_t uploaded_files_failed = 0;
  uint64_t s3_bytes_written = 0;
  uint64_t s3_bytes_read = 0;
  std::map<long, uint64_t> s3_responses;  // by HTTP status
};

// The counts so far.
Snapshot Take();

}  // namespace walnut::stats
