#pragma once

#include <memory>
#include <span>

#include "config/config.h"
#include "config/setting_specs.h"
#include "config/settings.h"
#include "storage/azure/azure_options.h"
#include "storage/storage.h"

namespace walnut::azure {

// The Azure backend's settings (WALG_AZ_PREFIX, AZURE_*, WALG_AZURE_*), each with its status.
std::span<const SettingSpec> AzureSettingSpecs();

// The options the settings give; throws kInvalidArgument naming a bad setting.
AzureOptions AzureOptionsFromConfig(const Config& config, const Settings& common);

// The storage endpoint suffix of an Azure cloud, as WAL-G maps AZURE_ENVIRONMENT_NAME
// (AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud; anything else the public cloud).
std::string EndpointSuffixForEnvironment(std::string_view environment_name);

// The registry's entry point. Sends nothing until the first request.
std::unique_ptr<Storage> OpenAzureStorage(const Config& config, const Settings& common);

}  // namespace walnut::azure
