#include "storage/azure/shared_key.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/error.h"

namespace walnut::azure {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims the value and folds each run of whitespace into one space.
std::string FoldWhitespace(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// The value of the header (case-insensitive name), "" when absent.
std::string HeaderValue(const net::HttpHeaders& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (Lower(name) == lower_name) return value;
  }
  return "";
}

}  // namespace

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Base64Decode(std::string_view text) {
  auto invalid = [] {
    return Error(ErrorCode::kInvalidArgument, "the Azure account key is not valid base64");
  };
  if (text.empty() || text.size() % 4 != 0) throw invalid();
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) throw invalid();
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string CanonicalizedResource(std::string_view account, std::string_view url_path,
                                  const net::QueryParams& query) {
  std::string out = fmt::format("/{}{}", account, url_path);
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [name, value] : query) params[Lower(name)].push_back(value);
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    out += fmt::format("\n{}:{}", name, fmt::join(values, ","));
  }
  return out;
}

std::string CanonicalizedHeaders(const net::HttpHeaders& headers) {
  std::map<std::string, std::string> ms;
  for (const auto& [name, value] : headers) {
    std::string lower = Lower(name);
    if (lower.starts_with("x-ms-")) ms[lower] = FoldWhitespace(value);
  }
  std::string out;
  for (const auto& [name, value] : ms) out += fmt::format("{}:{}\n", name, value);
  return out;
}

std::string StringToSign(std::string_view method, const net::HttpHeaders& headers,
                         size_t content_length, std::string_view canonicalized_resource) {
  std::string out(method);
  out += '\n';
  for (std::string_view name : {"content-encoding", "content-language"}) {
    out += HeaderValue(headers, name) + "\n";
  }
  out += content_length == 0 ? std::string("\n") : fmt::format("{}\n", content_length);
  for (std::string_view name : {"content-md5", "content-type", "date", "if-modified-since",
                                "if-match", "if-none-match", "if-unmodified-since", "range"}) {
    out += HeaderValue(headers, name) + "\n";
  }
  out += CanonicalizedHeaders(headers);
  out += canonicalized_resource;
  return out;
}

std::string SharedKeyAuthorization(std::string_view account, std::string_view key_base64,
                                   std::string_view string_to_sign) {
  std::string key = Base64Decode(key_base64);
  return fmt::format("SharedKey {}:{}", account, Base64Encode(HmacSha256(key, string_to_sign)));
}

}  // namespace walnut::azure
