#include "storage/registry/failover_storages.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/mutex.h"
#include "config/environment.h"
#include "config/home_directory.h"
#include "config/setting_status.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/local_file_reader.h"
#include "storage/failover_storage.h"
#include "storage/folder.h"

namespace walnut {
namespace {

using json = nlohmann::json;

constexpr std::string_view kSetting = "WALG_FAILOVER_STORAGES";
constexpr std::string_view kCheckObject = "wal-g_storage_check";
constexpr size_t kMaxCacheFile = 1 << 20;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A member value as the config file reader gives scalars (viper's cast.ToString).
std::optional<std::string> ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) {
      return fmt::format("{}", static_cast<int64_t>(d));
    }
    return fmt::format("{}", d);
  }
  return std::nullopt;
}

const char* AccessName(StorageAccess access) {
  return access == StorageAccess::kReadWrite ? "rw" : "ro";
}

// The key a storage's status is cached under: its name and what it points at, so that two
// configurations reusing a name do not share a status.
std::string CacheKey(const std::string& name, const Storage& storage) {
  return name + " " + storage.Describe();
}

// WAL-G's place for its status caches is $HOME, else /tmp. The passwd entry comes before /tmp: a
// file there is shared with every user of the host, who could mark our storages dead.
std::string HomeOrTmp() {
  std::string home = HomeDirectory(ProcessEnvironment());
  return home.empty() ? "/tmp" : home;
}

}  // namespace

std::vector<FailoverStorageConfig> ParseFailoverStorages(const Config& root) {
  std::vector<FailoverStorageConfig> out;
  std::optional<std::string> text = root.Get(kSetting);
  if (!text) return out;
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    root.ThrowInvalid(kSetting,
                      "expected an object of storage name -> that storage's settings (a nested "
                      "section of the config file, as WAL-G reads it)");
  }
  for (const auto& [raw_name, settings] : doc.items()) {
    std::string name = Lower(raw_name);
    if (name == "default") {
      root.ThrowInvalid(kSetting,
                        "the storage name 'default' is reserved for the primary storage; "
                        "rename that failover storage");
    }
    if (name == "all") {
      root.ThrowInvalid(kSetting,
                        "the storage name 'all' is reserved (st commands' -t all); rename that "
                        "failover storage");
    }
    if (!settings.is_object()) {
      root.ThrowInvalid(kSetting, fmt::format("storage '{}': expected an object of its settings "
                                              "(WALG_S3_PREFIX, AWS_ENDPOINT, ...)",
                                              name));
    }
    ConfigFileValues values;
    values.path = fmt::format("{} {}.{}", root.file_path().empty() ? "(environment)"
                                                                   : root.file_path(),
                              kSetting, name);
    for (const auto& [raw_key, value] : settings.items()) {
      if (value.is_null()) continue;
      std::optional<std::string> v = ScalarText(value);
      if (!v) {
        root.ThrowInvalid(kSetting, fmt::format("storage '{}': {} must be a string, number or "
                                                "boolean",
                                                name, Upper(raw_key)));
      }
      values.values[Upper(raw_key)] = *v;
    }
    Config member({}, Environment{}, std::move(values));
    for (const std::string& warning : member.warnings()) {
      spdlog::warn("failover storage '{}': {}", name, warning);
    }
    try {
      for (const std::string& warning : CheckSettingStatuses(member)) {
        spdlog::warn("failover storage '{}': {}", name, warning);
      }
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("failover storage '{}': {}", name, e.what()));
    }
    out.push_back(FailoverStorageConfig{name, std::move(member)});
  }
  std::sort(out.begin(), out.end(),
            [](const FailoverStorageConfig& a, const FailoverStorageConfig& b) {
              return a.name < b.name;
            });
  return out;
}

FailoverCheckOptions LoadFailoverCheckOptions(const Config& root) {
  FailoverCheckOptions o;
  o.check = root.GetBool("WALG_FAILOVER_STORAGES_CHECK");
  o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      root.GetDuration("WALG_FAILOVER_STORAGES_CHECK_TIMEOUT"));
  if (o.timeout.count() <= 0) {
    root.ThrowInvalid("WALG_FAILOVER_STORAGES_CHECK_TIMEOUT", "must be longer than 0s");
  }
  o.check_size = root.GetBytes("WALG_FAILOVER_STORAGES_CHECK_SIZE", 0, uint64_t{1} << 30);
  o.cache_lifetime = std::chrono::duration_cast<std::chrono::seconds>(
      root.GetDuration("WALG_FAILOVER_STORAGES_CACHE_LIFETIME"));
  std::optional<std::string> path = root.Get("WALNUT_FAILOVER_STATUS_CACHE");
  o.cache_path = path ? *path : HomeOrTmp() + "/.walnut_storage_status_cache.json";
  return o;
}

FailoverStatusCache::FailoverStatusCache(LocalFs& fs, std::string path,
                                         std::chrono::seconds lifetime)
    : fs_(fs), path_(std::move(path)), lifetime_(lifetime) {}

namespace {

json ReadCache(LocalFs& fs, const std::string& path) {
  if (path.empty()) return json::object();
  std::string text;
  try {
    text = ReadSmallFile(fs, path, kMaxCacheFile, "failover status cache");
  } catch (const Error&) {
    return json::object();
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : json::object();
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<bool> FailoverStatusCache::Get(StorageAccess access, const std::string& key) const {
  json j = ReadCache(fs_, path_);
  auto kind = j.find(AccessName(access));
  if (kind == j.end() || !kind->is_object()) return std::nullopt;
  auto entry = kind->find(key);
  if (entry == kind->end() || !entry->is_object()) return std::nullopt;
  auto alive = entry->find("alive");
  auto at = entry->find("checked_at");
  if (alive == entry->end() || !alive->is_boolean() || at == entry->end() ||
      !at->is_number_integer()) {
    return std::nullopt;
  }
  int64_t age = NowSeconds() - at->get<int64_t>();
  // A time in the future (a clock set back) is as stale as an old one.
  if (age < 0 || age >= lifetime_.count()) return std::nullopt;
  return alive->get<bool>();
}

void FailoverStatusCache::Set(StorageAccess access, const std::string& key, bool alive) {
  if (path_.empty() || lifetime_.count() == 0) return;
  json j = ReadCache(fs_, path_);
  j[AccessName(access)][key] = {{"alive", alive}, {"checked_at", NowSeconds()}};
  // A storage dead for writes is dead for reads too, as far as the next commands can tell.
  if (!alive && access == StorageAccess::kRead) {
    j[AccessName(StorageAccess::kReadWrite)][key] = {{"alive", false},
                                                     {"checked_at", NowSeconds()}};
  }
  if (!alive && access == StorageAccess::kReadWrite) {
    j[AccessName(StorageAccess::kRead)][key] = {{"alive", false}, {"checked_at", NowSeconds()}};
  }
  try {
    WriteFileAtomically(fs_, path_, j.dump() + "\n");
  } catch (const Error& e) {
    spdlog::warn("cannot record failover storage statuses in {}: {}", path_, e.what());
  }
}

std::string CheckStorageAlive(std::shared_ptr<Storage> storage, const std::string& sub_prefix,
                              StorageAccess access, uint64_t check_size,
                              std::chrono::milliseconds timeout) {
  struct State {
    Mutex mu;
    CondVar cv;
    bool done GUARDED_BY(mu) = false;
    std::string problem GUARDED_BY(mu);
  };
  auto state = std::make_shared<State>();
  std::thread([storage, state, sub_prefix, access, check_size] {
    std::string problem;
    try {
      Folder root(*storage, sub_prefix);
      root.List("", ListOptions{.recursive = false}, [](const ObjectInfo&) {});
      if (access == StorageAccess::kReadWrite) {
        PutOptions put;
        put.size_hint = check_size;
        std::unique_ptr<Writer> w = root.Put(kCheckObject, put);
        std::vector<std::byte> chunk(std::min<uint64_t>(check_size, 64 * 1024), std::byte{0x5a});
        for (uint64_t left = check_size; left > 0;) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
          w->Write(ConstByteSpan(chunk.data(), n));
          left -= n;
        }
        w->Close();
        std::string key(kCheckObject);
        root.Delete(std::span<const std::string>(&key, 1));
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
    MutexLock lock(state->mu);
    state->problem = std::move(problem);
    state->done = true;
    state->cv.NotifyAll();
  }).detach();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(state->mu);
  while (!state->done) {
    if (!state->cv.WaitUntil(state->mu, deadline) && !state->done) {
      return fmt::format("no answer within {} ms (WALG_FAILOVER_STORAGES_CHECK_TIMEOUT)",
                         timeout.count());
    }
  }
  return state->problem;
}

std::vector<std::pair<std::string, std::shared_ptr<Storage>>> OpenAllStorages(
    const Config& root, const std::function<std::unique_ptr<Storage>(const Config&)>& open_one) {
  std::vector<std::pair<std::string, std::shared_ptr<Storage>>> all;
  all.emplace_back("default", std::shared_ptr<Storage>(open_one(root)));
  for (FailoverStorageConfig& member : ParseFailoverStorages(root)) {
    try {
      all.emplace_back(member.name, std::shared_ptr<Storage>(open_one(member.config)));
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("failover storage '{}': {}", member.name, e.what()));
    }
  }
  return all;
}

std::unique_ptr<Storage> OpenFailoverStorages(
    const Config& root, const Settings& common, const StorageTarget& target, LocalFs& fs,
    const std::function<std::unique_ptr<Storage>(const Config&)>& open_one) {
  std::string wanted = Lower(target.name);
  if (wanted == "all") wanted.clear();
  std::vector<FailoverStorageConfig> failovers = ParseFailoverStorages(root);
  if (failovers.empty()) {
    if (!wanted.empty() && wanted != "default") {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("--target-storage {}: no such failover storage; "
                              "WALG_FAILOVER_STORAGES configures none",
                              target.name));
    }
    return open_one(root);
  }
  if (wanted == "default") return open_one(root);
  if (!wanted.empty()) {
    for (FailoverStorageConfig& member : failovers) {
      if (member.name == wanted) return open_one(member.config);
    }
    std::string names;
    for (const FailoverStorageConfig& member : failovers) names += " " + member.name;
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("--target-storage {}: no such failover storage; configured: "
                            "default{}",
                            target.name, names));
  }

  FailoverCheckOptions options = LoadFailoverCheckOptions(root);
  // A storage that cannot even be opened for a reason of its own (unreachable, unreadable) is
  // dead; a bad setting stops the command.
  std::vector<FailoverStorage::Member> all;
  std::vector<std::string> dead;
  auto open_member = [&](const std::string& name, const Config& config) {
    try {
      all.push_back({name, std::shared_ptr<Storage>(open_one(config))});
    } catch (const Error& e) {
      if (!FailoverStorage::IsMemberFailure(e) || !options.check) {
        throw Error(e.code(), name == "default"
                                  ? std::string(e.what())
                                  : fmt::format("failover storage '{}': {}", name, e.what()));
      }
      spdlog::warn("storage '{}' is not alive: {}", name, e.what());
      dead.push_back(fmt::format("'{}': {}", name, e.what()));
    }
  };
  open_member("default", root);
  for (FailoverStorageConfig& member : failovers) open_member(member.name, member.config);

  auto cache = std::make_shared<FailoverStatusCache>(fs, options.cache_path,
                                                     options.cache_lifetime);
  std::vector<FailoverStorage::Member> alive;
  std::map<std::string, std::string> keys;
  for (FailoverStorage::Member& m : all) {
    std::string key = CacheKey(m.name, *m.storage);
    keys[m.name] = key;
    if (!options.check) {
      alive.push_back(m);
      continue;
    }
    std::optional<bool> known = cache->Get(target.access, key);
    if (!known) {
      std::string problem = CheckStorageAlive(m.storage, common.storage_sub_prefix,
                                              target.access, options.check_size, options.timeout);
      known = problem.empty();
      if (!problem.empty()) {
        spdlog::warn("storage '{}' ({}) is not alive: {}", m.name, m.storage->Describe(), problem);
        dead.push_back(fmt::format("'{}': {}", m.name, problem));
      }
      cache->Set(target.access, key, *known);
    } else if (!*known) {
      dead.push_back(fmt::format("'{}': found dead within WALG_FAILOVER_STORAGES_CACHE_LIFETIME "
                                 "(recorded in {})",
                                 m.name, options.cache_path));
    }
    if (*known) alive.push_back(m);
  }
  if (alive.empty()) {
    std::string why;
    for (const std::string& d : dead) why += (why.empty() ? "" : "; ") + d;
    throw Error(ErrorCode::kNetwork, fmt::format("no storage is alive: {}", why), true);
  }
  if (alive.front().name != "default") {
    spdlog::warn("the primary storage is not alive; using failover storage '{}'",
                 alive.front().name);
  }
  StorageAccess access = target.access;
  return std::make_unique<FailoverStorage>(
      std::move(alive), [cache, keys, access](const std::string& name, const Error& error) {
        spdlog::warn("storage '{}' failed, leaving it out: {}", name, error.what());
        auto it = keys.find(name);
        if (it != keys.end()) cache->Set(access, it->second, false);
      });
}

}  // namespace walnut
