#include "storage/sftp/sftp_metadata.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace walnut::sftp {
namespace {

constexpr std::string_view kSidecarSuffix = ".walnut-meta";
// A sidecar holds a handful of short values; anything larger is not ours.
constexpr size_t kMaxSidecarBytes = 64 * 1024;

}  // namespace

std::string SidecarName(std::string_view file_name) {
  return fmt::format(".{}{}", file_name, kSidecarSuffix);
}

bool IsSidecarName(std::string_view file_name) {
  return file_name.size() > 1 + kSidecarSuffix.size() && file_name.front() == '.' &&
         file_name.ends_with(kSidecarSuffix);
}

std::string SidecarObjectName(std::string_view sidecar_name) {
  return std::string(sidecar_name.substr(1, sidecar_name.size() - 1 - kSidecarSuffix.size()));
}

std::string EncodeSidecar(const Sidecar& sidecar) {
  nlohmann::ordered_json doc;
  doc["size"] = sidecar.size;
  doc["mtime"] = sidecar.mtime;
  doc["metadata"] = sidecar.metadata;
  return doc.dump();
}

std::optional<Sidecar> DecodeSidecar(std::string_view bytes) {
  if (bytes.size() > kMaxSidecarBytes) return std::nullopt;
  nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return std::nullopt;
  auto size = doc.find("size");
  auto mtime = doc.find("mtime");
  auto metadata = doc.find("metadata");
  if (size == doc.end() || !size->is_number_unsigned() || mtime == doc.end() ||
      !mtime->is_number_integer() || metadata == doc.end() || !metadata->is_object()) {
    return std::nullopt;
  }
  Sidecar sidecar;
  sidecar.size = size->get<uint64_t>();
  sidecar.mtime = mtime->get<int64_t>();
  for (const auto& [name, value] : metadata->items()) {
    if (!value.is_string()) return std::nullopt;
    sidecar.metadata[name] = value.get<std::string>();
  }
  return sidecar;
}

}  // namespace walnut::sftp
