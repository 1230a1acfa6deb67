// libFuzzer target over the AWS shared files' ini parser and the JSON credentials documents
// (credential_process output, container and instance metadata answers): both are untrusted
// input. Each must return or throw walnut::Error; anything else (a crash, another exception, a
// sanitizer report) is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "storage/s3/credentials/credentials_json.h"
#include "storage/s3/credentials/ini_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace walnut::s3;
  try {
    IniFile file = ParseIni(text, "fuzz");
    for (const auto& [name, section] : file) {
      if (name.empty()) __builtin_trap();  // empty section names are refused
      for (const auto& [key, value] : section) {
        if (key.empty()) __builtin_trap();
      }
    }
  } catch (const walnut::Error&) {
  }
  for (CredentialsJson format : {CredentialsJson::kCredentialProcess, CredentialsJson::kMetadata}) {
    try {
      TimedCredentials c = ParseCredentialsJson(text, "fuzz", format);
      if (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty()) {
        __builtin_trap();
      }
    } catch (const walnut::Error&) {
    }
  }
  return 0;
}
