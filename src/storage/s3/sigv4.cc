#include "storage/s3/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "common/error.h"
#include "io/digest.h"

namespace walnut::s3 {

namespace {

std::string Md5(ConstByteSpan data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr) != 1) {
    throw Error(ErrorCode::kInternal, "EVP_Digest(MD5) failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// SigV4 header values: leading/trailing spaces removed, inner runs of spaces collapsed to one.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool in_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

// Lower-cased, sorted headers; equal names are merged with ',' as the spec says.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(const net::HttpHeaders& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers) {
    out.emplace_back(ToLower(name), CanonicalHeaderValue(value));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& h : out) {
    if (!merged.empty() && merged.back().first == h.first) {
      merged.back().second += ",";
      merged.back().second += h.second;
    } else {
      merged.push_back(std::move(h));
    }
  }
  return merged;
}

}  // namespace

std::string Sha256Hex(ConstByteSpan data) { return walnut::Digest::Of(data).Hex(); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)) {
    throw Error(ErrorCode::kInternal, "HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Md5Base64(ConstByteSpan data) { return Base64Encode(Md5(data)); }

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

std::string SignedHeaders(const net::HttpHeaders& headers) {
  std::string out;
  for (const auto& [name, value] : CanonicalHeaders(headers)) {
    if (!out.empty()) out.push_back(';');
    out += name;
  }
  return out;
}

std::string CanonicalRequest(const SigningInput& in) {
  static const net::QueryParams kNoQuery;
  static const net::HttpHeaders kNoHeaders;
  const auto& headers = in.headers ? *in.headers : kNoHeaders;
  std::string out;
  out += in.method;
  out += '\n';
  out += in.canonical_uri.empty() ? "/" : in.canonical_uri;
  out += '\n';
  out += net::CanonicalQueryString(in.query ? *in.query : kNoQuery);
  out += '\n';
  for (const auto& [name, value] : CanonicalHeaders(headers)) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  out += '\n';
  out += SignedHeaders(headers);
  out += '\n';
  out += in.payload_sha256;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", amz_date, scope,
                     Sha256Hex(AsBytes(canonical_request)));
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = HmacSha256(fmt::format("AWS4{}", secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

SigV4Signer::SigV4Signer(Credentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      service_(std::move(service)) {}

std::string SigV4Signer::Authorization(const SigningInput& in, std::string_view amz_date) const {
  std::string_view date = amz_date.substr(0, 8);
  std::string scope = fmt::format("{}/{}/{}/aws4_request", date, region_, service_);
  std::string key = SigningKey(credentials_.secret_access_key.Reveal(), date, region_, service_);
  std::string signature =
      HexEncode(HmacSha256(key, StringToSign(amz_date, scope, CanonicalRequest(in))));
  return fmt::format("AWS4-HMAC-SHA256 Credential={}/{},SignedHeaders={},Signature={}",
                     credentials_.access_key_id, scope, SignedHeaders(*in.headers), signature);
}

void SigV4Signer::Sign(net::HttpRequest& request, std::string_view canonical_uri,
                       const net::QueryParams& query, std::string_view payload_sha256,
                       std::chrono::system_clock::time_point now) const {
  request.headers.emplace_back("x-amz-content-sha256", std::string(payload_sha256));
  if (anonymous()) return;
  std::string amz_date = AmzDate(now);
  request.headers.emplace_back("x-amz-date", amz_date);
  if (!credentials_.session_token.empty()) {
    request.headers.emplace_back("x-amz-security-token", credentials_.session_token.Reveal());
  }
  SigningInput in{request.method, canonical_uri, &query, &request.headers, payload_sha256};
  request.headers.emplace_back("Authorization", Authorization(in, amz_date));
}

}  // namespace walnut::s3
