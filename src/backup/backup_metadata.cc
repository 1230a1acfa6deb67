#include "backup/backup_metadata.h"

#include <limits>

#include "backup/backup_metadata_json.h"
#include "common/error.h"

namespace walnut {
namespace {

using metadata_json::Json;
using metadata_json::ObjectReader;

int ToInt(const ObjectReader& doc, std::string_view field, std::optional<int64_t> value) {
  if (!value) return 0;
  if (*value < std::numeric_limits<int>::min() || *value > std::numeric_limits<int>::max()) {
    doc.Fail(field, "is out of range: " + std::to_string(*value));
  }
  return static_cast<int>(*value);
}

std::optional<uint32_t> ToTimeline(const ObjectReader& doc, std::string_view field) {
  auto value = doc.Uint(field);
  if (!value) return std::nullopt;
  if (*value > std::numeric_limits<uint32_t>::max())
    doc.Fail(field, "is out of range: " + std::to_string(*value));
  return static_cast<uint32_t>(*value);
}

Json OptionalUint(const std::optional<uint64_t>& value) { return value ? Json(*value) : Json(); }

Json SpecToJson(const TablespaceSpec& spec) {
  // Go marshals the spec through a map[string]interface{}: its keys come out sorted, while each
  // location (a struct) keeps its field order.
  std::map<std::string, Json> fields;
  fields["base_prefix"] = spec.base_prefix;
  fields["tablespaces"] = spec.names;
  for (const auto& [name, location] : spec.locations) {
    fields[name] = Json{{"loc", location.location}, {"link", location.symlink}};
  }
  Json out = Json::object();
  for (auto& [key, value] : fields) out[key] = std::move(value);
  return out;
}

TablespaceSpec SpecFromJson(const Json& value, std::string_view object_key) {
  ObjectReader doc(value, object_key);
  TablespaceSpec spec;
  auto base_prefix = doc.String("base_prefix");
  if (!base_prefix) doc.Fail("base_prefix", "is missing from the tablespace spec");
  spec.base_prefix = *base_prefix;
  if (const Json* names = doc.Find("tablespaces")) {
    if (!names->is_array()) doc.Fail("tablespaces", "must be an array of strings");
    for (const Json& name : *names) {
      if (!name.is_string()) doc.Fail("tablespaces", "must be an array of strings");
      spec.names.push_back(name.get<std::string>());
    }
  }
  for (const std::string& name : spec.names) {
    const Json* entry = doc.Find(name);
    if (entry == nullptr) doc.Fail(name, "is missing: the tablespace spec lists it");
    ObjectReader location(*entry, std::string(object_key) + " (tablespace " + name + ")");
    spec.locations[name] = TablespaceLocation{location.String("loc").value_or(""),
                                              location.String("link").value_or("")};
  }
  return spec;
}

Json UserData(const std::string& raw) { return metadata_json::ParseRaw(raw, "user data"); }

}  // namespace

std::string SerializeTablespaceSpec(const TablespaceSpec& spec) {
  return metadata_json::Dump(SpecToJson(spec));
}

TablespaceSpec ParseTablespaceSpec(std::string_view json, std::string_view object_key) {
  return SpecFromJson(metadata_json::Parse(json, object_key), object_key);
}

std::string SerializeBackupSentinel(const BackupSentinel& s) {
  Json out = Json::object();
  out["LSN"] = s.lsn;
  if (s.timeline) out["Timeline"] = *s.timeline;
  if (s.delta_lsn) out["DeltaLSN"] = *s.delta_lsn;
  // WAL-G sets these three together for a delta (pointers, omitted when nil).
  if (!s.delta_from.empty()) out["DeltaFrom"] = s.delta_from;
  if (!s.delta_full_name.empty()) out["DeltaFullName"] = s.delta_full_name;
  if (s.delta_count != 0) out["DeltaCount"] = s.delta_count;
  out["PgVersion"] = s.pg_version;
  out["FinishLSN"] = s.finish_lsn;
  if (s.system_identifier) out["SystemIdentifier"] = *s.system_identifier;
  out["UncompressedSize"] = s.uncompressed_size;
  out["CompressedSize"] = s.compressed_size;
  if (s.data_catalog_size != 0) out["DataCatalogSize"] = s.data_catalog_size;
  out["Spec"] = s.spec ? SpecToJson(*s.spec) : Json();
  if (Json user_data = UserData(s.user_data); !user_data.is_null())
    out["UserData"] = std::move(user_data);
  if (s.files_metadata_disabled) out["FilesMetadataDisabled"] = true;
  out["ChkpNum"] = nullptr;  // OrioleDB's checkpoint number: WAL-G always writes the field
  out["Version"] = s.version;
  out["StartTime"] = FormatRfc3339Nano(s.start_time);
  out["FinishTime"] = FormatRfc3339Nano(s.finish_time);
  out["DateFmt"] = s.date_fmt;
  out["Hostname"] = s.hostname;
  out["DataDir"] = s.data_dir;
  out["IsPermanent"] = s.is_permanent;
  if (!s.stored_sha256.empty()) out["WalnutSha256"] = s.stored_sha256;
  return metadata_json::Dump(out);
}

BackupSentinel ParseBackupSentinel(std::string_view json, std::string_view object_key) {
  const Json value = metadata_json::Parse(json, object_key);
  ObjectReader doc(value, object_key);
  BackupSentinel s;
  auto lsn = doc.Uint("LSN");
  if (!lsn) doc.Fail("LSN", "is missing");
  s.lsn = *lsn;
  s.timeline = ToTimeline(doc, "Timeline");
  s.delta_lsn = doc.Uint("DeltaLSN");
  if (!s.delta_lsn) s.delta_lsn = doc.Uint("DeltaFromLSN");
  s.delta_from = doc.String("DeltaFrom").value_or("");
  s.delta_full_name = doc.String("DeltaFullName").value_or("");
  s.delta_count = ToInt(doc, "DeltaCount", doc.Int("DeltaCount"));
  if (s.IsDelta() && !s.delta_lsn)
    doc.Fail("DeltaLSN", "is missing from a delta backup's sentinel");
  s.pg_version = ToInt(doc, "PgVersion", doc.Int("PgVersion"));
  s.finish_lsn = doc.Uint("FinishLSN").value_or(0);
  s.system_identifier = doc.Uint("SystemIdentifier");
  s.uncompressed_size = doc.Int("UncompressedSize").value_or(0);
  s.compressed_size = doc.Int("CompressedSize").value_or(0);
  s.data_catalog_size = doc.Int("DataCatalogSize").value_or(0);
  if (const Json* spec = doc.Find("Spec"))
    s.spec = SpecFromJson(*spec, std::string(object_key) + " (Spec)");
  s.user_data = doc.Raw("UserData");
  s.files_metadata_disabled = doc.Bool("FilesMetadataDisabled").value_or(false);
  s.version = ToInt(doc, "Version", doc.Int("Version"));
  s.start_time = doc.Time("StartTime").value_or(kGoZeroTime);
  s.finish_time = doc.Time("FinishTime").value_or(kGoZeroTime);
  s.date_fmt = doc.String("DateFmt").value_or("");
  s.hostname = doc.String("Hostname").value_or("");
  s.data_dir = doc.String("DataDir").value_or("");
  s.is_permanent = doc.Bool("IsPermanent").value_or(false);
  s.has_embedded_files = doc.Find("Files") != nullptr;
  if (const Json* sums = doc.Find("WalnutSha256")) {
    if (!sums->is_object()) doc.Fail("WalnutSha256", "must be an object of strings");
    for (auto it = sums->begin(); it != sums->end(); ++it) {
      if (!it.value().is_string()) doc.Fail("WalnutSha256", "must be an object of strings");
      s.stored_sha256[it.key()] = it.value().get<std::string>();
    }
  }
  return s;
}

Json ExtendedMetadataJson(const ExtendedMetadata& m) {
  Json out = Json::object();
  out["start_time"] = FormatRfc3339Nano(m.start_time);
  out["finish_time"] = FormatRfc3339Nano(m.finish_time);
  out["date_fmt"] = m.date_fmt;
  out["hostname"] = m.hostname;
  out["data_dir"] = m.data_dir;
  out["pg_version"] = m.pg_version;
  out["start_lsn"] = m.start_lsn;
  out["finish_lsn"] = m.finish_lsn;
  out["is_permanent"] = m.is_permanent;
  out["system_identifier"] = OptionalUint(m.system_identifier);
  if (m.timeline) out["timeline"] = *m.timeline;
  out["uncompressed_size"] = m.uncompressed_size;
  out["compressed_size"] = m.compressed_size;
  if (Json user_data = UserData(m.user_data); !user_data.is_null())
    out["user_data"] = std::move(user_data);
  return out;
}

std::string SerializeExtendedMetadata(const ExtendedMetadata& m) {
  return metadata_json::Dump(ExtendedMetadataJson(m));
}

ExtendedMetadata ParseExtendedMetadata(std::string_view json, std::string_view object_key) {
  const Json value = metadata_json::Parse(json, object_key);
  ObjectReader doc(value, object_key);
  ExtendedMetadata m;
  m.start_time = doc.Time("start_time").value_or(kGoZeroTime);
  m.finish_time = doc.Time("finish_time").value_or(kGoZeroTime);
  m.date_fmt = doc.String("date_fmt").value_or("");
  m.hostname = doc.String("hostname").value_or("");
  m.data_dir = doc.String("data_dir").value_or("");
  m.pg_version = ToInt(doc, "pg_version", doc.Int("pg_version"));
  m.start_lsn = doc.Uint("start_lsn").value_or(0);
  m.finish_lsn = doc.Uint("finish_lsn").value_or(0);
  m.is_permanent = doc.Bool("is_permanent").value_or(false);
  m.system_identifier = doc.Uint("system_identifier");
  m.timeline = ToTimeline(doc, "timeline");
  m.uncompressed_size = doc.Int("uncompressed_size").value_or(0);
  m.compressed_size = doc.Int("compressed_size").value_or(0);
  m.user_data = doc.Raw("user_data");
  return m;
}

ExtendedMetadata MetadataFromSentinel(const BackupSentinel& s) {
  ExtendedMetadata m;
  m.start_time = s.start_time;
  m.finish_time = s.finish_time;
  m.date_fmt = s.date_fmt;
  m.hostname = s.hostname;
  m.data_dir = s.data_dir;
  m.pg_version = s.pg_version;
  m.start_lsn = s.lsn;
  m.finish_lsn = s.finish_lsn;
  m.is_permanent = s.is_permanent;
  m.system_identifier = s.system_identifier;
  m.timeline = s.timeline;
  m.uncompressed_size = s.uncompressed_size;
  m.compressed_size = s.compressed_size;
  m.user_data = s.user_data;
  return m;
}

}  // namespace walnut
