#include "localfs/file_metadata.h"

#include <cerrno>
#include <functional>
#include <string_view>
#include <vector>

#include <sys/types.h>
#include <sys/xattr.h>

#include "common/error.h"

namespace walnut {
namespace {

constexpr std::string_view kAttributePrefix = "user.walnut.";

// The file system keeps no user attributes here (or not on this kind of file).
bool NoAttributeSupport(int err) { return err == ENOTSUP || err == EOPNOTSUPP || err == EPERM; }

// Calls fn(buffer, size) as the *xattr() calls want it: first for the size, then again while the
// value grows between the two calls (ERANGE). Returns false with `err` set on failure.
bool ReadSized(const std::function<ssize_t(char*, size_t)>& fn, std::string& out, int& err) {
  while (true) {
    ssize_t size = fn(nullptr, 0);
    if (size < 0) {
      err = errno;
      return false;
    }
    out.resize(static_cast<size_t>(size));
    ssize_t n = fn(out.data(), out.size());
    if (n >= 0) {
      out.resize(static_cast<size_t>(n));
      return true;
    }
    if (errno != ERANGE) {
      err = errno;
      return false;
    }
  }
}

// Our attributes through the given list/get calls; `path` is for messages.
std::map<std::string, std::string> ReadAttributes(
    const std::function<ssize_t(char*, size_t)>& list,
    const std::function<ssize_t(const char*, char*, size_t)>& get, const std::string& path) {
  std::map<std::string, std::string> metadata;
  std::string names;
  int err = 0;
  if (!ReadSized(list, names, err)) {
    if (NoAttributeSupport(err) || err == ENOENT) return metadata;
    ThrowSystemError("cannot list the attributes of", path, err);
  }
  for (size_t pos = 0; pos < names.size();) {
    size_t end = names.find('\0', pos);
    if (end == std::string::npos) end = names.size();
    std::string name = names.substr(pos, end - pos);
    pos = end + 1;
    if (!name.starts_with(kAttributePrefix)) continue;
    std::string value;
    if (!ReadSized([&](char* buf, size_t size) { return get(name.c_str(), buf, size); }, value,
                   err)) {
      if (err == ENODATA) continue;  // removed since the listing
      ThrowSystemError("cannot read attribute " + name + " of", path, err);
    }
    metadata.emplace(name.substr(kAttributePrefix.size()), std::move(value));
  }
  return metadata;
}

}  // namespace

bool WriteFileMetadata(int fd, const std::string& path,
                     const std::map<std::string, std::string>& metadata) {
  for (const auto& [name, value] : metadata) {
    std::string attribute = std::string(kAttributePrefix) + name;
    if (::fsetxattr(fd, attribute.c_str(), value.data(), value.size(), 0) != 0) {
      if (NoAttributeSupport(errno)) return false;
      ThrowSystemError("cannot set attribute " + attribute + " on", path, errno);
    }
  }
  return true;
}

std::map<std::string, std::string> ReadFileMetadata(const std::string& path) {
  return ReadAttributes(
      [&](char* buf, size_t size) { return ::listxattr(path.c_str(), buf, size); },
      [&](const char* name, char* buf, size_t size) {
        return ::getxattr(path.c_str(), name, buf, size);
      },
      path);
}

void RemoveFileMetadata(int fd, const std::string& name) {
  std::string attribute = std::string(kAttributePrefix) + name;
  ::fremovexattr(fd, attribute.c_str());
}

std::map<std::string, std::string> ReadFileMetadata(int fd, const std::string& path) {
  return ReadAttributes(
      [&](char* buf, size_t size) { return ::flistxattr(fd, buf, size); },
      [&](const char* name, char* buf, size_t size) { return ::fgetxattr(fd, name, buf, size); },
      path);
}

}  // namespace walnut
