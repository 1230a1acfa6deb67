#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/mutex.h"
#include "net/http_client.h"
#include "net/url.h"
#include "storage/s3/s3_options.h"

// The bucket's region, as WAL-G and the AWS SDKs find it: with AWS_REGION unset, the client asks
// the bucket (GetBucketLocation) before its first request and signs with the answer; a server that
// answers a request with "the bucket is in another region" (301 or 307 with x-amz-bucket-region,
// 400 AuthorizationHeaderMalformed naming the region) makes the client switch once, never twice.

namespace walnut::s3 {

class S3Client;

// What S3 assumes when nothing says otherwise, and what WAL-G signs with for non-AWS endpoints.
inline constexpr std::string_view kDefaultRegion = "us-east-1";

// Where requests go and the region they are signed for.
struct Addressing {
  std::string region;
  net::Endpoint endpoint;
  bool path_style = false;
};

// The addressing for `region`: AWS_ENDPOINT when set, else s3.REGION.amazonaws.com
// (s3.dualstack.REGION.amazonaws.com with AWS_DUAL_STACK).
Addressing AddressingFor(const S3Options& options, std::string_view region);

// Whether `endpoint` (an AWS_ENDPOINT value, "" = none) is AWS's own: WAL-G asks the bucket for
// its region only there, and signs for us-east-1 elsewhere (MinIO, Ceph and the like).
bool IsAwsEndpoint(std::string_view endpoint);

// The x-amz-bucket-region header of an answer when it names a region (S3 sends it with HEAD
// bucket answers, 200 and 403 included, and with wrong-region answers).
std::optional<std::string> BucketRegionHeader(const net::HttpResponse& response);

// The region a wrong-region answer asks for: the x-amz-bucket-region of a 301, 307 or 400 answer,
// or the <Region> of a 400 AuthorizationHeaderMalformed body. nullopt for any other answer and
// when that region is `used` (the answer is about something else).
std::optional<std::string> RegionAsked(const net::HttpResponse& response, std::string_view used);

// Asks the bucket for its region with GetBucketLocation, signed for us-east-1 and sent to
// AWS_ENDPOINT or AWS's global endpoint; without s3:GetBucketLocation (403), reads the
// x-amz-bucket-region of a HEAD of the bucket. One attempt: throws the mapped error (retryable for
// network failures and 5xx) or, when the bucket will not say, kPermissionDenied or kNotFound
// naming the bucket and AWS_REGION.
std::string DiscoverBucketRegion(S3Client& client);

// The addressing of one client: found before its first request, corrected at most once.
// Thread-safe: requests run in parallel.
class BucketRegion {
 public:
  // REQUIRES: `options` outlives this object.
  explicit BucketRegion(const S3Options& options);

  // The addressing to send with. While the region is unknown, calls `discover` first (one caller
  // at a time; the others wait for its answer). A discover that throws leaves the region unknown:
  // the caller's retry asks again.
  Addressing Current(const std::function<std::string()>& discover);
  // The addressing now, without asking: before discovery, where the discovery request goes.
  Addressing Peek() const;

  // A request sent with `used` was told that the bucket is in `asked`. Returns the addressing to
  // send it again with: `asked` after this client's one correction, or the region another request
  // corrected to meanwhile. Throws WrongRegionError when this client corrected already.
  Addressing Correct(const Addressing& used, const std::string& asked, std::string_view op,
                     std::string_view uri);

  // The error for a request that was told `asked` after the region was corrected (or re-sent):
  // names the request, the region used, the region asked and AWS_REGION. Not retryable.
  Error WrongRegionError(std::string_view op, std::string_view uri, std::string_view used,
                         std::string_view asked) const;

  int corrections() const;

 private:
  const S3Options& options_;
  mutable Mutex mu_;
  std::optional<Addressing> current_ GUARDED_BY(mu_);  // nullopt: not found yet
  int corrections_ GUARDED_BY(mu_) = 0;
  Mutex discover_mu_;  // one GetBucketLocation at a time
};

}  // namespace walnut::s3
