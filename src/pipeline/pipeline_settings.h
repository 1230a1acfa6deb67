#pragma once

#include <span>
#include <vector>

#include "config/config.h"
#include "config/setting_specs.h"
#include "pipeline/pipeline.h"

namespace walnut {

// The settings of compression (WALG_COMPRESSION_METHOD and each codec's level setting, derived
// from the codec table) and of every encryption (the crypter registry), for RegisterSettingSpecs.
std::vector<std::span<const SettingSpec>> PipelineSettingSpecLists();

// Compression and encryption as configured. Throws kInvalidArgument naming a bad setting: an
// unknown method, a level for another method or out of the codec's range, a bad key.
PipelineOptions LoadPipelineOptions(const Config& config);

}  // namespace walnut
