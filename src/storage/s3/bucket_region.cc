#include "storage/s3/bucket_region.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/logging.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

namespace {

bool IsIpLiteral(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

// Virtual-host addressing puts the bucket into the host name, which only works for names that
// are valid DNS labels, for hosts that are names (not IP literals), and, over TLS, for names
// without dots (a wildcard certificate covers one label).
bool NeedsPathStyle(const S3Options& o, const net::Endpoint& ep) {
  if (o.force_path_style || IsIpLiteral(ep.host) || ep.host == "localhost") return true;
  return std::any_of(o.bucket.begin(), o.bucket.end(),
                     [](unsigned char c) { return c == '.' || c == '_' || std::isupper(c); });
}

Addressing WithEndpoint(const S3Options& o, net::Endpoint endpoint, std::string_view region) {
  Addressing a;
  a.region = std::string(region);
  a.path_style = NeedsPathStyle(o, endpoint);
  a.endpoint = std::move(endpoint);
  return a;
}

// Where GetBucketLocation goes: AWS_ENDPOINT, else AWS's global endpoint (the AWS SDKs' us-east-1
// endpoint), which answers it for a bucket in any region.
Addressing DiscoveryAddressing(const S3Options& o) {
  if (!o.endpoint.empty() || o.dual_stack) return AddressingFor(o, kDefaultRegion);
  net::Endpoint ep;
  ep.scheme = "https";
  ep.host = "s3.amazonaws.com";
  return WithEndpoint(o, std::move(ep), kDefaultRegion);
}

// Error for a bucket that would not say where it is.
Error NoRegion(const S3Client& client, ErrorCode code, std::string_view what) {
  return Error(code,
               fmt::format("cannot find the region of {}: {}; set AWS_REGION to the bucket's "
                           "region (and check the bucket in WALG_S3_PREFIX and the credentials)",
                           client.Uri(""), what));
}

}  // namespace

Addressing AddressingFor(const S3Options& o, std::string_view region) {
  if (!o.endpoint.empty()) {
    return WithEndpoint(o, net::ParseEndpoint(o.endpoint, "AWS_ENDPOINT"), region);
  }
  net::Endpoint ep;
  ep.scheme = "https";
  // docs.aws.amazon.com/AmazonS3/latest/userguide/dual-stack-endpoints.html
  ep.host = o.dual_stack ? fmt::format("s3.dualstack.{}.amazonaws.com", region)
                         : fmt::format("s3.{}.amazonaws.com", region);
  return WithEndpoint(o, std::move(ep), region);
}

bool IsAwsEndpoint(std::string_view endpoint) {
  if (endpoint.empty()) return true;
  // WAL-G's test is on the URL text; a trailing '/' or a port would hide the host's suffix.
  std::string host;
  try {
    host = net::ParseEndpoint(endpoint, "AWS_ENDPOINT").host;
  } catch (const Error&) {
    return false;
  }
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host.ends_with(".amazonaws.com");
}

std::optional<std::string> BucketRegionHeader(const net::HttpResponse& response) {
  auto header = response.Header("x-amz-bucket-region");
  if (!header || !IsRegionName(*header)) return std::nullopt;
  return std::string(*header);
}

std::optional<std::string> RegionAsked(const net::HttpResponse& response, std::string_view used) {
  long status = response.status;
  if (status != 301 && status != 307 && status != 400) return std::nullopt;
  std::optional<std::string> asked = BucketRegionHeader(response);
  if (!asked && status == 400) {
    auto body = ParseErrorBody(response.body);
    if (body && body->code == "AuthorizationHeaderMalformed" && IsRegionName(body->region)) {
      asked = body->region;
    }
  }
  if (!asked || *asked == used) return std::nullopt;
  return asked;
}

std::string DiscoverBucketRegion(S3Client& client) {
  const Addressing addressing = DiscoveryAddressing(client.options());
  S3Call call;
  call.op = "GetBucketLocation";
  call.method = "GET";
  call.query = {{"location", ""}};
  net::HttpResponse response = client.SendTo(addressing, call);
  if (response.status == 200) {
    std::string region =
        S3Client::ParseAnswer(call.op, client.Uri(""), response.body, ParseBucketLocation);
    spdlog::debug("s3: {} is in region {} (GetBucketLocation)", client.Uri(""), region);
    return region;
  }
  if (auto region = BucketRegionHeader(response)) return *region;
  if (auto asked = RegionAsked(response, addressing.region)) return *asked;
  Error error = client.ErrorFor(call, response);
  if (error.retryable()) throw error;
  if (response.status == 403) {
    // Without s3:GetBucketLocation: S3 still names the region in a HEAD of the bucket's headers,
    // whatever the status.
    S3Call head;
    head.op = "HeadBucket";
    head.method = "HEAD";
    net::HttpResponse head_response = client.SendTo(addressing, head);
    if (auto region = BucketRegionHeader(head_response)) return *region;
    if (head_response.status == 200) return std::string(kDefaultRegion);
  }
  // Not kNotFound for a bucket that is not there: callers take that for a missing object (a
  // WAL segment that does not exist yet), and a wrong bucket name is a wrong setting.
  ErrorCode code =
      error.code() == ErrorCode::kNotFound ? ErrorCode::kInvalidArgument : error.code();
  throw NoRegion(client, code, error.what());
}

BucketRegion::BucketRegion(const S3Options& options) : options_(options) {
  if (!options.region.empty()) {
    current_ = AddressingFor(options, options.region);
  }
}

Addressing BucketRegion::Current(const std::function<std::string()>& discover) {
  {
    MutexLock lock(mu_);
    if (current_) return *current_;
  }
  MutexLock discovering(discover_mu_);
  {
    MutexLock lock(mu_);
    if (current_) return *current_;  // found while this caller waited
  }
  std::string region = discover();
  MutexLock lock(mu_);
  if (!current_) current_ = AddressingFor(options_, region);
  return *current_;
}

Addressing BucketRegion::Peek() const {
  MutexLock lock(mu_);
  if (current_) return *current_;
  return DiscoveryAddressing(options_);
}

Addressing BucketRegion::Correct(const Addressing& used, const std::string& asked,
                                 std::string_view op, std::string_view uri) {
  MutexLock lock(mu_);
  if (current_ && current_->region != used.region) return *current_;  // corrected meanwhile
  if (corrections_ > 0) throw WrongRegionError(op, uri, used.region, asked);
  ++corrections_;
  current_ = AddressingFor(options_, asked);
  spdlog::warn("s3: bucket s3://{} is in region {}, not {}: signing for {} from now on{}",
               options_.bucket, asked, used.region, asked,
               options_.region.empty() ? "" : fmt::format(" (set AWS_REGION={})", asked));
  return *current_;
}

Error BucketRegion::WrongRegionError(std::string_view op, std::string_view uri,
                                     std::string_view used, std::string_view asked) const {
  std::string setting = options_.region.empty() ? "AWS_REGION is unset"
                                                : fmt::format("AWS_REGION={}", options_.region);
  return Error(ErrorCode::kProtocol,
               fmt::format("s3 {} {}: the server asks for region '{}' although the request was "
                           "signed for '{}' after one correction already ({}); set AWS_REGION to "
                           "the bucket's region and check AWS_ENDPOINT",
                           op, uri, asked, used, setting));
}

int BucketRegion::corrections() const {
  MutexLock lock(mu_);
  return corrections_;
}

}  // namespace walnut::s3
