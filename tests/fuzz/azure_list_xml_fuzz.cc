// libFuzzer target over the Azure backend's parsers of server answers: List Blobs pages and error
// bodies (untrusted input from the network). They may only throw walnut::Error (a damaged answer,
// retried) and must never crash; what they return must be sane.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "storage/azure/azure_xml.h"
#include "storage/azure/connection_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    walnut::azure::BlobListPage page = walnut::azure::ParseListBlobs(text);
    for (const auto& blob : page.blobs) {
      if (blob.name.empty()) __builtin_trap();
    }
  } catch (const walnut::Error& e) {
    if (!e.retryable()) __builtin_trap();
  }
  if (auto body = walnut::azure::ParseAzureError(text)) {
    if (body->message.find('\n') != std::string::npos) __builtin_trap();
  }
  // Connection strings come from the user, but parsing one must not crash either.
  try {
    walnut::azure::ParseConnectionString(text, "AZURE_STORAGE_CONNECTION_STRING");
  } catch (const walnut::Error&) {
  }
  return 0;
}
