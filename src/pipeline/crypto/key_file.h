#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/secret_string.h"

namespace walnut {

// The whole content of the key file at `path`, which setting `setting` names
// (WALG_LIBSODIUM_KEY_PATH, WALG_PGP_KEY_PATH). A key file is a setting's value rather than data,
// so it is read directly rather than through localfs. Throws the SystemError of open(2) or read(2)
// (kNotFound, kPermissionDenied, ...) naming the setting and the path, and kInvalidArgument when
// the file is larger than `max_size` ("it should hold only <holds>"). The bytes read are wiped
// whatever happens.
SecretString ReadKeyFile(const std::string& path, std::string_view setting, size_t max_size,
                         std::string_view holds);

}  // namespace walnut
