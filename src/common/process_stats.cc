#include "common/process_stats.h"

#include <atomic>

#include "common/mutex.h"

namespace walnut::stats {
namespace {

std::atomic<uint64_t> g_uploaded{0};
std::atomic<uint64_t> g_uploaded_failed{0};
std::atomic<uint64_t> g_s3_written{0};
std::atomic<uint64_t> g_s3_read{0};

struct Responses {
  Mutex mu;
  std::map<long, uint64_t> counts GUARDED_BY(mu);
};

Responses& TheResponses() {
  static Responses* responses = new Responses;  // never destroyed: counted until exit
  return *responses;
}

}  // namespace

void CountUploadedFile(bool ok) { (ok ? g_uploaded : g_uploaded_failed).fetch_add(1); }

void CountS3Response(long status, uint64_t bytes_sent) {
  g_s3_written.fetch_add(bytes_sent);
  Responses& r = TheResponses();
  MutexLock lock(r.mu);
  ++r.counts[status];
}

void CountS3BytesRead(uint64_t bytes) { g_s3_read.fetch_add(bytes); }

Snapshot Take() {
  Snapshot s;
  s.uploaded_files = g_uploaded.load();
  s.uploaded_files_failed = g_uploaded_failed.load();
  s.s3_bytes_written = g_s3_written.load();
  s.s3_bytes_read = g_s3_read.load();
  Responses& r = TheResponses();
  MutexLock lock(r.mu);
  s.s3_responses = r.counts;
  return s;
}

}  // namespace walnut::stats
