#pragma once

#include <string_view>

#include "common/secret_string.h"
#include "net/http_client.h"

namespace walnut::s3 {

// SSE-C, server-side encryption with a customer-provided key: S3 encrypts with the key sent with
// each request and keeps only its MD5, so every request that writes or reads an object's content
// (PutObject, CreateMultipartUpload, UploadPart, GetObject, HeadObject) must send it again.

// The 256-bit key from WALG_S3_SSE_C: 32 bytes as they are (WAL-G's form: the AWS SDK
// base64-encodes the setting's bytes), or their base64 (44 characters, the form `openssl rand
// -base64 32` prints). Throws kInvalidArgument naming the setting, never its value.
SecretString ParseSseCustomerKey(std::string_view value);

// Appends x-amz-server-side-encryption-customer-algorithm (AES256), -key (base64) and -key-MD5.
// The key header is one of the secret headers net::DescribeForLog hides.
void AddSseCustomerHeaders(const SecretString& key, net::HttpHeaders& headers);

}  // namespace walnut::s3
