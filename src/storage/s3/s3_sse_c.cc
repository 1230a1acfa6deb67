#include "storage/s3/s3_sse_c.h"

#include <string>

#include <openssl/evp.h>

#include "common/base64.h"
#include "common/bytes.h"
#include "common/error.h"
#include "storage/s3/sigv4.h"

namespace walnut::s3 {

namespace {

constexpr size_t kKeyBytes = 32;  // AES-256

}  // namespace

SecretString ParseSseCustomerKey(std::string_view value) {
  if (value.size() == kKeyBytes) return SecretString(std::string(value));
  if (value.size() == 44 && value.ends_with("=") && !value.ends_with("==")) {
    std::string raw(33, '\0');  // EVP_DecodeBlock writes 3 bytes per 4 characters, padding too
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                            reinterpret_cast<const unsigned char*>(value.data()),
                            static_cast<int>(value.size()));
    if (n == 33) {
      raw.resize(kKeyBytes);
      return SecretString(std::move(raw));
    }
    explicit_bzero(raw.data(), raw.size());
  }
  throw Error(ErrorCode::kInvalidArgument,
              "WALG_S3_SSE_C must be a 256-bit key: 32 bytes, or their base64 (44 characters, "
              "as `openssl rand -base64 32` prints)");
}

void AddSseCustomerHeaders(const SecretString& key, net::HttpHeaders& headers) {
  headers.emplace_back("x-amz-server-side-encryption-customer-algorithm", "AES256");
  headers.emplace_back("x-amz-server-side-encryption-customer-key", Base64Encode(key.Reveal()));
  headers.emplace_back("x-amz-server-side-encryption-customer-key-MD5",
                       Md5Base64(AsBytes(key.Reveal())));
}

}  // namespace walnut::s3
