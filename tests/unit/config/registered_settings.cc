// The config tests read real settings of the storage backends and the pipeline (S3's, the codecs')
// besides the core's: register them, as `walnut` does at start-up, before any test looks one up.

#include "config/setting_specs.h"
#include "pipeline/pipeline_settings.h"
#include "storage/registry/storage_registry.h"

namespace walnut {
namespace {

[[maybe_unused]] const bool kRegistered = [] {
  for (std::span<const SettingSpec> list : StorageSettingSpecLists()) RegisterSettingSpecs(list);
  for (std::span<const SettingSpec> list : PipelineSettingSpecLists()) RegisterSettingSpecs(list);
  return true;
}();

}  // namespace
}  // namespace walnut
