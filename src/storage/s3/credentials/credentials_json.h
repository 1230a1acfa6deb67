#pragma once

#include <string_view>

#include "storage/s3/credentials/credentials_provider.h"

namespace walnut::s3 {

// The JSON credential documents of credential_process (Version 1: AccessKeyId, SecretAccessKey,
// SessionToken, Expiration), the container endpoint and the instance metadata (AccessKeyId,
// SecretAccessKey, Token, Expiration, and for the instance a Code that must be "Success").
// Expiration is ISO 8601 ("2026-12-07T06:00:00Z"); absent = does not expire.
enum class CredentialsJson { kCredentialProcess, kMetadata };

// Parses `body` from `source` (for messages: "credential_process of profile x"). Throws
// Error(kProtocol) "<source>: <problem>" for anything else; the message never quotes the body,
// which holds secrets.
TimedCredentials ParseCredentialsJson(std::string_view body, std::string_view source,
                                      CredentialsJson format);

}  // namespace walnut::s3
