// libFuzzer target over the SFTP backend's metadata sidecar parser: sidecars are files on the
// server, so untrusted input. Decoding must never throw or crash; what it accepts must encode and
// decode back to the same thing.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/sftp/sftp_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sidecar = walnut::sftp::DecodeSidecar(text);
  if (sidecar) {
    auto again = walnut::sftp::DecodeSidecar(walnut::sftp::EncodeSidecar(*sidecar));
    if (!again || again->size != sidecar->size || again->mtime != sidecar->mtime ||
        again->metadata != sidecar->metadata) {
      __builtin_trap();
    }
  }
  walnut::sftp::IsSidecarName(text);
  return 0;
}
