#pragma once

#include <memory>
#include <span>

#include "config/config.h"
#include "config/setting_specs.h"
#include "config/settings.h"
#include "storage/sftp/sftp_options.h"
#include "storage/storage.h"

namespace walnut::sftp {

// The SFTP backend's settings (WALG_SSH_PREFIX, SSH_*, WALNUT_SSH_*), each with its status.
std::span<const SettingSpec> SftpSettingSpecs();

// The options the settings give; throws kInvalidArgument naming a bad setting.
SftpOptions SftpOptionsFromConfig(const Config& config, const Settings& common);

// The registry's entry point. Connects lazily: the first request connects, checks the host key
// and logs in, and fails with one line if any of that goes wrong.
std::unique_ptr<Storage> OpenSftpStorage(const Config& config, const Settings& common);

}  // namespace walnut::sftp
