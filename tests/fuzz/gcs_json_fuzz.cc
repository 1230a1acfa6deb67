// libFuzzer target over the GCS backend's JSON parsers: object resources and listing pages come
// from the server, token answers from an OAuth endpoint or the metadata server, credentials files
// from the user; all untrusted. Parsing must never crash or throw anything but walnut::Error; a
// listing it accepts names every object and keeps sizes it parsed.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "common/rfc3339.h"
#include "storage/gcs/gcs_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    walnut::gcs::ListPage page = walnut::gcs::ParseListPage(text);
    for (const auto& item : page.items) {
      if (item.name.empty()) __builtin_trap();
    }
  } catch (const walnut::Error&) {
  }
  try {
    walnut::gcs::ParseObjectResource(text);
  } catch (const walnut::Error&) {
  }
  try {
    walnut::gcs::ParseAccessToken(text);
  } catch (const walnut::Error&) {
  }
  try {
    walnut::gcs::ParseCredentialsFile(text, "fuzz.json");
  } catch (const walnut::Error&) {
  }
  walnut::gcs::ErrorDetail(text);
  (void)walnut::ParseRfc3339(text);
  return 0;
}
