#pragma once

#include <memory>
#include <span>

#include "config/config.h"
#include "config/setting_specs.h"
#include "config/settings.h"
#include "storage/gcs/gcs_options.h"
#include "storage/storage.h"

namespace walnut::gcs {

// The GCS backend's settings (WALG_GS_PREFIX, GOOGLE_APPLICATION_CREDENTIALS, GCS_*, and the
// endpoint overrides Google's client libraries read: STORAGE_EMULATOR_HOST, GCE_METADATA_HOST),
// each with its status.
std::span<const SettingSpec> GcsSettingSpecs();

// The options the settings give; throws kInvalidArgument naming a bad setting (never the value
// of GCS_ENCRYPTION_KEY).
GcsOptions GcsOptionsFromConfig(const Config& config, const Settings& common);

// The registry's entry point. Authenticates lazily: the first request gets a token.
std::unique_ptr<Storage> OpenGcsStorage(const Config& config, const Settings& common);

}  // namespace walnut::gcs
