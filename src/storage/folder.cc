#include "storage/folder.h"

#include <vector>

#include "storage/locked_objects.h"

namespace walnut {

std::string JoinKey(std::string_view a, std::string_view b) {
  while (!a.empty() && a.back() == '/') a.remove_suffix(1);
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a) + "/";
  std::string out(a);
  out += '/';
  out += b;
  return out;
}

Folder::Folder(Storage& storage, std::string path) : storage_(&storage), path_(std::move(path)) {
  while (!path_.empty() && path_.front() == '/') path_.erase(0, 1);
  if (!path_.empty() && path_.back() != '/') path_ += '/';
}

Folder Folder::Sub(std::string_view name) const { return Folder(*storage_, JoinKey(path_, name)); }

std::string Folder::Key(std::string_view name) const {
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  return path_ + std::string(name);
}

std::unique_ptr<StorageReader> Folder::Get(std::string_view name, ByteRange range) const {
  return storage_->Get(Key(name), range);
}

std::optional<ObjectInfo> Folder::Stat(std::string_view name) const {
  return storage_->Stat(Key(name));
}

std::unique_ptr<Writer> Folder::Put(std::string_view name, const PutOptions& options) const {
  return storage_->Put(Key(name), options);
}

void Folder::List(std::string_view prefix, const ListOptions& options,
                  const std::function<void(const ObjectInfo&)>& fn) const {
  storage_->List(Key(prefix), options, [&](const ObjectInfo& info) {
    ObjectInfo relative = info;
    relative.key = info.key.substr(path_.size());
    fn(relative);
  });
}

void Folder::ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                                const std::function<void(const ObjectInfo&)>& fn) const {
  storage_->ListTemporaryFiles(Key(prefix), options, [&](const ObjectInfo& info) {
    ObjectInfo relative = info;
    relative.key = info.key.substr(path_.size());
    fn(relative);
  });
}

void Folder::Delete(std::span<const std::string> names) const {
  std::vector<std::string> keys;
  keys.reserve(names.size());
  for (const auto& name : names) keys.push_back(Key(name));
  try {
    storage_->Delete(keys);
  } catch (const ObjectsLockedError& e) {
    throw Relative(e);
  }
}

void Folder::ListVersions(std::string_view prefix,
                          const std::function<void(const ObjectVersion&)>& fn) const {
  storage_->ListVersions(Key(prefix), [&](const ObjectVersion& version) {
    ObjectVersion relative = version;
    relative.key = version.key.substr(path_.size());
    fn(relative);
  });
}

void Folder::DeleteVersions(std::span<const ObjectVersion> versions) const {
  std::vector<ObjectVersion> full(versions.begin(), versions.end());
  for (ObjectVersion& version : full) version.key = Key(version.key);
  try {
    storage_->DeleteVersions(full);
  } catch (const ObjectsLockedError& e) {
    throw Relative(e);
  }
}

ObjectsLockedError Folder::Relative(const ObjectsLockedError& e) const {
  LockedObjects locked = e.locked();
  for (std::string& key : locked.keys) {
    if (key.starts_with(path_)) key.erase(0, path_.size());
  }
  return ObjectsLockedError(storage_->Describe(), std::move(locked));
}

}  // namespace walnut
