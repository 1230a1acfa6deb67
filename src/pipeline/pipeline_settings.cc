#include "pipeline/pipeline_settings.h"

#include <cctype>
#include <deque>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "config/setting_values.h"
#include "pipeline/crypter_registry.h"

namespace walnut {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "fastest, default, better, best or 1..22".
std::string LevelForms(const Codec& codec) {
  std::string forms;
  for (const NamedLevel& named : codec.level_names) {
    forms += std::string(named.name) + ", ";
  }
  if (!forms.empty()) forms.replace(forms.size() - 2, 2, " or ");
  return forms + fmt::format("a level from {} to {}", codec.min_level, codec.max_level);
}

std::vector<SettingSpec> BuildCompressionSpecs() {
  // The texts of the derived specs must outlive the registry's string_views.
  static std::deque<std::string> texts;
  std::vector<std::string_view> names;
  for (const Codec& codec : Codecs()) names.push_back(codec.name);
  std::vector<SettingSpec> specs = {
      DefineSetting("WALG_COMPRESSION_METHOD", SettingKind::kEnum,
                    "compression of uploaded tars and WAL")
          .Accepts(names)
          .Default("lz4")
          .Implemented(),
  };
  for (const Codec& codec : Codecs()) {
    if (codec.level_setting.empty()) continue;
    texts.push_back(
        fmt::format("{} level: {} (needs method {})", codec.name, LevelForms(codec), codec.name));
    specs.push_back(
        DefineSetting(codec.level_setting, SettingKind::kString, texts.back()).Implemented());
  }
  return specs;
}

std::span<const SettingSpec> CompressionSettingSpecs() {
  static const std::vector<SettingSpec> specs = BuildCompressionSpecs();
  return specs;
}

// The level the codec's level setting asks for, or nullopt (the codec's default). Refuses a level
// setting of another codec than the configured one: it would be silently ignored.
std::optional<int> LoadLevel(const Config& config, const Codec& chosen) {
  std::optional<int> level;
  for (const Codec& codec : Codecs()) {
    if (codec.level_setting.empty() || !config.Has(codec.level_setting)) continue;
    if (codec.method != chosen.method) {
      config.ThrowInvalid(codec.level_setting,
                          fmt::format("only applies to {}, but WALG_COMPRESSION_METHOD is {}; set "
                                      "WALG_COMPRESSION_METHOD={} or unset {}",
                                      codec.name, chosen.name, codec.name, codec.level_setting));
    }
    std::string text = config.GetString(codec.level_setting);
    std::string lower = Lower(text);
    for (const NamedLevel& named : codec.level_names) {
      if (lower == named.name) level = named.level;
    }
    if (level) continue;
    std::optional<int64_t> number = ParseSettingInt(text);
    if (!number || *number < codec.min_level || *number > codec.max_level) {
      config.ThrowInvalid(codec.level_setting,
                          fmt::format("unknown value '{}'; accepted: {}", text, LevelForms(codec)));
    }
    level = static_cast<int>(*number);
  }
  return level;
}

}  // namespace

std::vector<std::span<const SettingSpec>> PipelineSettingSpecLists() {
  std::vector<std::span<const SettingSpec>> lists = {CompressionSettingSpecs()};
  for (std::span<const SettingSpec> list : CrypterSettingSpecLists()) lists.push_back(list);
  return lists;
}

PipelineOptions LoadPipelineOptions(const Config& config) {
  PipelineOptions options;
  std::optional<CompressionMethod> method =
      CompressionMethodFromName(config.GetEnum("WALG_COMPRESSION_METHOD"));
  if (!method) {
    // GetEnum only returns names from the codec table; this is a table bug.
    throw Error(ErrorCode::kInternal, "WALG_COMPRESSION_METHOD is not in the codec table");
  }
  options.compression = *method;
  options.compression_options.level = LoadLevel(config, CodecFor(*method));
  options.crypter = LoadCrypter(config);
  return options;
}

}  // namespace walnut
