#pragma once

namespace walnut {

// Adds the settings that the storage backends, the codecs and the crypters declare to the
// registry (config/setting_specs.h), so that flags, the environment and config files know them.
// Call it first thing: before any setting is looked up. Calling it again is a no-op.
void InstallSettingSpecs();

}  // namespace walnut
