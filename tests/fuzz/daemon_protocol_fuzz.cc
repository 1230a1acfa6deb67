// libFuzzer target over WAL-G's daemon protocol as `walnut daemon` reads it: every byte on the
// socket comes from whoever can connect, so it is untrusted input. Decoding must return or throw
// walnut::Error; what it returns must encode back to the same bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "daemon/protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using walnut::daemon::kHeaderSize;
  try {
    if (bytes.size() >= kHeaderSize) {
      walnut::daemon::Header header = walnut::daemon::DecodeHeader(bytes.substr(0, kHeaderSize));
      if (header.body_size > walnut::daemon::kMaxBodySize) __builtin_trap();
      if (walnut::daemon::EncodeHeader(header.type, header.body_size) !=
          bytes.substr(0, kHeaderSize)) {
        __builtin_trap();
      }
    }
  } catch (const walnut::Error&) {
  }
  try {
    std::string_view body = bytes.size() > kHeaderSize ? bytes.substr(kHeaderSize) : bytes;
    std::vector<std::string> args = walnut::daemon::DecodeArgs(body);
    if (body.size() <= walnut::daemon::kMaxBodySize &&
        walnut::daemon::EncodeArgs(args) != body) {
      __builtin_trap();
    }
  } catch (const walnut::Error&) {
  }
  return 0;
}
