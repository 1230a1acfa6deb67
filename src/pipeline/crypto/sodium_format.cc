#include "pipeline/crypto/sodium_format.h"

#include "common/error.h"

namespace walnut::sodium_format {

void EnsureSodiumInitialized() {
  // sodium_init() returns 0 on the first call, 1 once initialised, -1 on failure.
  static const int status = sodium_init();
  if (status < 0) {
    throw Error(ErrorCode::kInternal, "libsodium: initialisation failed (no entropy source?)");
  }
}

}  // namespace walnut::sodium_format
