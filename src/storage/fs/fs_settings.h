#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/setting_specs.h"
#include "config/settings.h"
#include "storage/storage.h"

namespace walnut {

// The directory backend's settings (WALG_FILE_PREFIX), each with its status.
std::span<const SettingSpec> FsSettingSpecs();

// A WALG_FILE_PREFIX value as a directory: strips WAL-E's "file://localhost" (WAL-G does the same)
// and a plain "file://", and trailing '/' (but keeps "/"). Throws kInvalidArgument naming
// `setting` when nothing is left.
std::string NormalizeFilePrefix(std::string_view setting, std::string_view prefix);

// The registry's entry point: the directory WALG_FILE_PREFIX names, as an FsStorage.
std::unique_ptr<Storage> OpenFsStorage(const Config& config, const Settings& common);

}  // namespace walnut
