#include "storage/fs/fs_settings.h"

#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "storage/fs/fs_storage.h"

namespace walnut {

std::span<const SettingSpec> FsSettingSpecs() {
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_FILE_PREFIX", SettingKind::kString,
                    "local directory storage (file://localhost/ accepted)")
          .Alias("WALE_FILE_PREFIX")
          .Implemented(),
  };
  return specs;
}

std::string NormalizeFilePrefix(std::string_view setting, std::string_view prefix) {
  std::string_view path = prefix;
  // WAL-E wrote file://localhost/dir; WAL-G strips "file://localhost" (WaleFileHost).
  constexpr std::string_view kWaleHost = "file://localhost";
  constexpr std::string_view kFileScheme = "file://";
  if (path.substr(0, kWaleHost.size()) == kWaleHost) {
    path.remove_prefix(kWaleHost.size());
  } else if (path.substr(0, kFileScheme.size()) == kFileScheme) {
    path.remove_prefix(kFileScheme.size());
  }
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: invalid value '{}': no directory given; expected a directory "
                            "such as /var/backups/walg",
                            setting, prefix));
  }
  return std::string(path);
}

std::unique_ptr<Storage> OpenFsStorage(const Config& config, const Settings& /*common*/) {
  std::string_view setting = config.SpelledName("WALG_FILE_PREFIX");
  return std::make_unique<FsStorage>(
      NormalizeFilePrefix(setting, config.GetString("WALG_FILE_PREFIX")));
}

}  // namespace walnut
