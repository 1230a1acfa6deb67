#include "cli/setting_registry.h"

#include "config/setting_specs.h"
#include "pipeline/pipeline_settings.h"
#include "storage/registry/storage_registry.h"

namespace walnut {

void InstallSettingSpecs() {
  for (std::span<const SettingSpec> list : StorageSettingSpecLists()) RegisterSettingSpecs(list);
  for (std::span<const SettingSpec> list : PipelineSettingSpecLists()) RegisterSettingSpecs(list);
}

}  // namespace walnut
