#include "recovery/recovery_files.h"

#include <cerrno>

#include <fcntl.h>

#include "common/bytes.h"
#include "common/error.h"
#include "config/setting_specs.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/local_file_reader.h"
#include "localfs/paths.h"

namespace walnut::recovery {
namespace {

std::string Absolute(const std::string& path, const std::string& cwd) {
  if (path.empty() || path.starts_with("/")) return path;
  return cwd + "/" + path;
}

bool IsLocalPathSetting(std::string_view name) {
  return name == "WALG_FILE_PREFIX" || name.ends_with("_PATH") || name.ends_with("_FILE");
}

}  // namespace

RestoreCommand BuildRestoreCommand(const Config& config, const std::string& binary,
                                   const std::string& cwd) {
  RestoreCommand result;
  result.config_file = Absolute(config.file_path(), cwd);
  std::vector<std::pair<std::string, std::string>> environment;
  for (const SettingSpec& spec : AllSettingSpecs()) {
    if (spec.export_to_env || spec.name == "WALG_CONFIG_PATH" ||
        spec.name == "WALG_LOG_DESTINATION") {
      continue;
    }
    SettingSource source = config.Source(spec.name);
    if (source != SettingSource::kEnvironment && source != SettingSource::kFlag) continue;
    std::optional<std::string> value = config.Get(spec.name);
    if (!value) continue;
    if (spec.secret) {
      result.secrets_left_out.emplace_back(config.SpelledName(spec.name));
      continue;
    }
    environment.emplace_back(std::string(spec.name),
                             IsLocalPathSetting(spec.name) ? Absolute(*value, cwd) : *value);
  }
  result.command = FormatRestoreCommand(binary, result.config_file, environment);
  return result;
}

void WriteRecoveryFiles(LocalFs& fs, const std::string& data_dir, const RecoveryRequest& request,
                        const std::string& restore_command, std::string_view header) {
  const std::string signal = request.standby ? "standby.signal" : "recovery.signal";
  const std::string other = request.standby ? "recovery.signal" : "standby.signal";
  int err = fs.Unlink(data_dir + "/" + other);
  if (err != 0 && err != ENOENT) ThrowSystemError("remove", data_dir + "/" + other, err);

  const std::string auto_conf = data_dir + "/postgresql.auto.conf";
  const std::string text =
      ReadSmallFileIfPresent(fs, auto_conf, 16 << 20, "postgresql.auto.conf").value_or("");
  std::string rewritten = RewriteAutoConf(text, header, RecoverySettings(request, restore_command));
  AtomicFileWriter::Options options;
  options.mode = 0600;
  auto writer = AtomicFileWriter::Create(fs, auto_conf, options);
  writer->Write(AsBytes(rewritten));
  writer->Close();

  auto signal_writer = AtomicFileWriter::Create(fs, data_dir + "/" + signal, options);
  signal_writer->Close();
}

}  // namespace walnut::recovery
