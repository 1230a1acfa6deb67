#include "wal/archive_identity.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/excerpt.h"
#include "common/logging.h"
#include "io/reader.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/local_file_reader.h"
#include "pipeline/stored_document.h"
#include "wal/archive_status.h"

namespace walnut {
namespace {

using nlohmann::json;

constexpr std::string_view kCacheFile = "walnut_archive_identity.json";
// An identity record is a few dozen bytes; anything near this is not one.
constexpr size_t kMaxRecordSize = 64 << 10;
// nlohmann's messages quote the bytes where parsing stopped.
constexpr size_t kMaxJsonError = 160;

std::string DescribeRoot(const Folder& root) {
  std::string name = root.storage().Describe();
  if (!root.path().empty()) {
    // Two appends, not `"/" + substr()`: that temporary trips g++ 12's false -Wrestrict at -O3
    // (GCC bug 105329), which breaks the Release build with WALNUT_WERROR.
    name += '/';
    name.append(root.path(), 0, root.path().size() - 1);
  }
  return name;
}

}  // namespace

std::string ArchiveIdentityToJson(const ArchiveIdentity& identity) {
  json j = {{"system_identifier", identity.system_identifier},
            {"pg_version", identity.pg_version},
            {"wal_magic", identity.wal_magic},
            {"segment_size", identity.segment_size}};
  return j.dump() + "\n";
}

ArchiveIdentity ArchiveIdentityFromJson(std::string_view text, std::string_view object) {
  try {
    json j = json::parse(text);
    ArchiveIdentity identity;
    identity.system_identifier = j.at("system_identifier").get<uint64_t>();
    identity.pg_version = j.value("pg_version", 0);
    identity.wal_magic = j.value("wal_magic", uint16_t{0});
    identity.segment_size = j.value("segment_size", uint64_t{0});
    return identity;
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("{} is not a valid archive identity record ({}); it should hold "
                            "{{\"system_identifier\": <number>, ...}}",
                            object, Excerpt(e.what(), kMaxJsonError)));
  }
}

std::optional<std::string> ReadArchiveIdentityRecord(const Folder& root) {
  if (!root.Stat(kArchiveIdentityObject)) return std::nullopt;
  try {
    return GetDocument(root, kArchiveIdentityObject, kMaxRecordSize);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;  // removed meanwhile
    throw;
  }
}

ArchiveIdentityGuard::ArchiveIdentityGuard(const Folder& root, LocalFs& fs,
                                           std::filesystem::path cache_dir,
                                           std::chrono::seconds cache_lifetime)
    : root_(root),
      fs_(fs),
      cache_dir_(std::move(cache_dir)),
      cache_lifetime_(cache_lifetime),
      storage_name_(DescribeRoot(root)) {}

std::filesystem::path ArchiveIdentityGuard::CachePath() const { return cache_dir_ / kCacheFile; }

bool ArchiveIdentityGuard::CacheConfirms(uint64_t system_identifier) const {
  // An unreadable or foreign cache is only a miss: the storage has the authoritative record.
  std::string text;
  try {
    text = ReadSmallFile(fs_, CachePath().string(), kMaxRecordSize);
  } catch (const Error&) {
    return false;
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto storage = j.find("storage");
  auto id = j.find("system_identifier");
  auto verified_at = j.find("verified_at");
  if (storage == j.end() || !storage->is_string() ||
      storage->get_ref<const std::string&>() != storage_name_ || id == j.end() ||
      !id->is_number_unsigned() || id->get<uint64_t>() != system_identifier ||
      verified_at == j.end() || !verified_at->is_number_integer()) {
    return false;
  }
  // A time in the future (a clock set back) is as stale as an old one.
  const auto age =
      std::chrono::system_clock::now() -
      std::chrono::system_clock::time_point(std::chrono::seconds(verified_at->get<int64_t>()));
  return age >= std::chrono::seconds(0) && age < cache_lifetime_;
}

void ArchiveIdentityGuard::WriteCache(uint64_t system_identifier) const {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  json j = {
      {"storage", storage_name_}, {"system_identifier", system_identifier}, {"verified_at", now}};
  try {
    WriteFileAtomically(fs_, CachePath().string(), j.dump() + "\n");
  } catch (const Error& e) {
    // Not fatal: the next push asks the storage again.
    spdlog::warn("cannot cache the archive identity: {}", e.what());
  }
}

void ArchiveIdentityGuard::Check(const pg::WalLongPageHeader& header, std::string_view file_name) {
  MutexLock lock(mu_);
  const uint64_t ours = header.system_identifier;
  if (verified_ == ours) return;
  if (CacheConfirms(ours)) {
    verified_ = ours;
    return;
  }
  std::string object = fmt::format("{}/{}", storage_name_, kArchiveIdentityObject);
  if (root_.Stat(kArchiveIdentityObject)) {
    ArchiveIdentity recorded =
        ArchiveIdentityFromJson(GetDocument(root_, kArchiveIdentityObject, kMaxRecordSize), object);
    if (recorded.system_identifier != ours) {
      throw Error(
          ErrorCode::kAlreadyExists,
          fmt::format("refusing to archive WAL file '{}' of database system {} in {}: it "
                      "archives WAL of database system {} (recorded in {}); two clusters must "
                      "not share one archive, so give this one its own WALG_S3_PREFIX/"
                      "WALG_FILE_PREFIX or WALG_STORAGE_PREFIX (or remove {} if the other "
                      "cluster's archive there is gone)",
                      file_name, ours, storage_name_, recorded.system_identifier,
                      kArchiveIdentityObject, object));
    }
  } else {
    ArchiveIdentity identity{ours, pg::PgMajorVersionOfWalMagic(header.magic).value_or(0),
                             header.magic, header.segment_size};
    std::string text = ArchiveIdentityToJson(identity);
    PutDocument(root_, kArchiveIdentityObject, text);
    spdlog::info("recorded database system identifier {} for {} in {}", ours, storage_name_,
                 kArchiveIdentityObject);
  }
  WriteCache(ours);
  verified_ = ours;
}

}  // namespace walnut
