#include "drill/scratch_area.h"

#include <cerrno>
#include <cstdlib>
#include <random>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>

#include "common/bytes.h"
#include "common/error.h"

namespace walnut::drill {

std::string PrepareScratchDir(LocalFs& fs, const std::string& dir) {
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string path = fmt::format("{}/walnut-drill-{:06x}", base, random() & 0xffffff);
      int err = fs.MakeDirectory(path, 0700);
      if (err == 0) return path;
      if (err != EEXIST) ThrowSystemError("create the drill's scratch directory", path, err);
    }
    throw Error(ErrorCode::kIo, fmt::format("cannot create a scratch directory under {}", base));
  }
  FileStat stat;
  int err = fs.Stat(dir, stat, /*follow_links=*/true);
  if (err == ENOENT) {
    err = fs.MakeDirectory(dir, 0700);
    if (err != 0) ThrowSystemError("create --dir", dir, err);
    return dir;
  }
  if (err != 0) ThrowSystemError("read --dir", dir, err);
  if (stat.type != FileType::kDirectory) {
    throw Error(
        ErrorCode::kInvalidArgument,
        fmt::format("--dir {} is not a directory; give an empty or missing directory", dir));
  }
  std::vector<DirectoryEntry> entries;
  err = fs.ListDirectory(dir, entries);
  if (err != 0) ThrowSystemError("list --dir", dir, err);
  if (!entries.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("--dir {} is not empty; give an empty or missing directory (the drill "
                            "restores into it and removes it afterwards)",
                            dir));
  }
  err = fs.SetMode(dir, 0700);
  if (err != 0) ThrowSystemError("set the mode of --dir", dir, err);
  return dir;
}

void WalkTree(LocalFs& fs, const std::string& root,
              const std::function<void(const std::string&, const FileStat&)>& visit) {
  FileStat stat;
  int err = fs.Stat(root, stat, /*follow_links=*/false);
  if (err != 0) ThrowSystemError("read", root, err);
  visit(root, stat);
  if (stat.type != FileType::kDirectory) return;
  std::vector<DirectoryEntry> entries;
  err = fs.ListDirectory(root, entries);
  if (err != 0) ThrowSystemError("list", root, err);
  for (const auto& entry : entries) WalkTree(fs, root + "/" + entry.name, visit);
}

void WriteNewFile(LocalFs& fs, const std::string& path, const std::string& content, uint32_t mode) {
  LocalFile file;
  int err = fs.Open(path, O_WRONLY | O_CREAT | O_EXCL, mode, file);
  if (err != 0) ThrowSystemError("create", path, err);
  file.Write(AsBytes(content));
  file.Close();
}

LineReader::LineReader(LocalFs& fs, const std::string& path, std::string_view what) {
  int err = fs.Open(path, O_RDONLY, 0, file_);
  if (err != 0) ThrowSystemError(fmt::format("read {}", what), path, err);
}

bool LineReader::Next(std::string& line) {
  constexpr size_t kMaxLine = 64 * 1024;
  for (;;) {
    size_t nl = buffer_.find('\n', start_);
    if (nl != std::string::npos) {
      line.assign(buffer_, start_, nl - start_);
      start_ = nl + 1;
      return true;
    }
    if (eof_ || buffer_.size() - start_ > kMaxLine) {
      if (start_ == buffer_.size()) return false;
      line.assign(buffer_, start_, std::string::npos);
      buffer_.clear();
      start_ = 0;
      return true;
    }
    buffer_.erase(0, start_);
    start_ = 0;
    size_t old = buffer_.size();
    buffer_.resize(old + kMaxLine);
    size_t n = file_.Read(AsWritableBytes(buffer_).subspan(old));
    buffer_.resize(old + n);
    if (n == 0) eof_ = true;
  }
}

bool ForEachLine(LocalFs& fs, const std::string& path,
                 const std::function<void(std::string_view)>& on_line) {
  LocalFile probe;
  if (fs.Open(path, O_RDONLY, 0, probe) != 0) return false;
  probe.Close();
  LineReader reader(fs, path, "");
  std::string line;
  while (reader.Next(line)) on_line(line);
  return true;
}

}  // namespace walnut::drill
