#pragma once

#include <span>

#include "config/setting_specs.h"

namespace walnut {

// The settings of WAL-G's encryptions that Walnut does not have yet (envelope
// encryption, AWS and Yandex Cloud KMS). Those that turn encryption on are refused:
// uploading in clear what the user believes is encrypted is never right. Their companions (a
// region, a passphrase) are accepted with a warning. A crypter that gets built
// moves its settings into its own file and adds a row to pipeline/crypter_registry.cc.
std::span<const SettingSpec> CryptersNotYetSettingSpecs();

}  // namespace walnut
