#pragma once

#include <memory>
#include <span>

#include "config/config.h"
#include "config/setting_specs.h"
#include "config/settings.h"
#include "storage/s3/s3_options.h"
#include "storage/storage.h"

namespace walnut::s3 {

// The S3 backend's settings (WALG_S3_PREFIX, AWS_*, WALG_S3_*, S3_*), each with its status. Lives
// for the whole program.
std::span<const SettingSpec> S3SettingSpecs();

// Maps the settings to S3Options, checking them: throws kInvalidArgument naming the setting as
// the user spelled it, its source and what is accepted (never a secret's value). `common` gives
// the settings every backend shares (WALG_UPLOAD_CONCURRENCY).
S3Options S3OptionsFromConfig(const Config& config, const Settings& common);

// Parts one upload keeps in flight: WALG_UPLOAD_CONCURRENCY, but never so many that one upload's
// part buffers (those in flight plus the one being filled) pass kUploadBufferBudget; at least one
// part is always in flight. With the default 8 MiB parts: 3 in flight, 32 MiB.
size_t PartsInFlight(int upload_concurrency, uint64_t part_size);
inline constexpr uint64_t kUploadBufferBudget = 32ull << 20;

// The registry's entry point: S3OptionsFromConfig, then an S3Storage.
std::unique_ptr<Storage> OpenS3Storage(const Config& config, const Settings& common);

}  // namespace walnut::s3
