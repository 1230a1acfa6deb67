#include "backup/tar_writer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {
namespace {

// ustar header layout (POSIX.1-1988 / pax "ustar" format).
constexpr size_t kNameSize = 100;
constexpr size_t kPrefixSize = 155;
constexpr size_t kOffMode = 100, kOffUid = 108, kOffGid = 116, kOffSize = 124, kOffMtime = 136;
constexpr size_t kOffChksum = 148, kOffType = 156, kOffLink = 157, kOffMagic = 257;
constexpr size_t kOffVersion = 263, kOffUname = 265, kOffGname = 297, kOffPrefix = 345;
constexpr size_t kUserNameSize = 32;

using Block = std::array<char, TarWriter::kBlockSize>;

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Whether `value` fits an octal field of `width` bytes (width - 1 digits and a NUL).
bool FitsOctal(uint64_t value, size_t width) { return value < (uint64_t{1} << (3 * (width - 1))); }

void PutOctal(Block& block, size_t offset, size_t width, uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(block.data() + offset, digits.data(), width - 1);
  block[offset + width - 1] = '\0';
}

void PutString(Block& block, size_t offset, size_t width, std::string_view s) {
  std::memcpy(block.data() + offset, s.data(), std::min(width, s.size()));
}

// Go's splitUSTARPath: a long name goes into prefix + '/' + name when it splits at a '/' into
// parts that fit.
bool SplitUstarPath(const std::string& path, std::string* prefix, std::string* name) {
  if (path.size() <= kNameSize) {
    *name = path;
    prefix->clear();
    return IsAscii(path);
  }
  if (!IsAscii(path)) return false;
  size_t length = std::min(path.size(), kPrefixSize + 1);
  if (path[length - 1] == '/') --length;
  size_t i = std::string_view(path).substr(0, length).rfind('/');
  if (i == std::string::npos || i == 0) return false;
  size_t name_length = path.size() - i - 1;
  if (name_length == 0 || name_length > kNameSize || i > kPrefixSize) return false;
  *prefix = path.substr(0, i);
  *name = path.substr(i + 1);
  return true;
}

// One pax record: "<length> <key>=<value>\n", where length counts the whole record.
std::string PaxRecord(std::string_view key, std::string_view value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length)
    length = std::to_string(length).size() + body;
  return fmt::format("{} {}={}\n", length, key, value);
}

}  // namespace

void TarWriter::Emit(ConstByteSpan data) {
  out_.Write(data);
  bytes_written_ += data.size();
}

void TarWriter::EmitZeros(uint64_t count) {
  static const std::array<std::byte, 32 * 1024> kZeros{};
  while (count > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(count, kZeros.size()));
    Emit(ConstByteSpan(kZeros.data(), n));
    count -= n;
  }
}

void TarWriter::WriteHeaderBlock(const TarEntry& entry, const std::string& name,
                                 const std::string& prefix, char typeflag, uint64_t size) {
  Block block{};
  PutString(block, 0, kNameSize, name);
  PutOctal(block, kOffMode, 8, entry.mode & 07777);
  PutOctal(block, kOffUid, 8, FitsOctal(entry.uid, 8) ? entry.uid : 0);
  PutOctal(block, kOffGid, 8, FitsOctal(entry.gid, 8) ? entry.gid : 0);
  PutOctal(block, kOffSize, 12, FitsOctal(size, 12) ? size : 0);
  uint64_t mtime = entry.mtime < 0 ? 0 : static_cast<uint64_t>(entry.mtime);
  PutOctal(block, kOffMtime, 12, FitsOctal(mtime, 12) ? mtime : 0);
  block[kOffType] = typeflag;
  if (typeflag == static_cast<char>(TarEntry::Type::kSymlink)) {
    PutString(block, kOffLink, kNameSize, entry.link_target);
  }
  PutString(block, kOffMagic, 6, std::string_view("ustar\0", 6));
  PutString(block, kOffVersion, 2, "00");
  if (IsAscii(entry.uname)) PutString(block, kOffUname, kUserNameSize, entry.uname);
  if (IsAscii(entry.gname)) PutString(block, kOffGname, kUserNameSize, entry.gname);
  PutString(block, kOffPrefix, kPrefixSize, prefix);
  // The checksum is computed with its own field as spaces and stored as 6 digits, NUL, space.
  std::memset(block.data() + kOffChksum, ' ', 8);
  uint32_t sum = 0;
  for (char c : block) sum += static_cast<unsigned char>(c);
  std::string digits = fmt::format("{:06o}", sum);
  std::memcpy(block.data() + kOffChksum, digits.data(), 6);
  block[kOffChksum + 6] = '\0';
  Emit(AsBytes(std::string_view(block.data(), block.size())));
}

void TarWriter::AddEntry(const TarEntry& entry) {
  if (entry.name.empty()) throw Error(ErrorCode::kInvalidArgument, "tar entry without a name");
  FinishEntry();
  uint64_t size = entry.type == TarEntry::Type::kRegular ? entry.size : 0;

  std::string pax;
  std::string name;
  std::string prefix;
  if (!SplitUstarPath(entry.name, &prefix, &name)) {
    pax += PaxRecord("path", entry.name);
    name = entry.name.substr(0, kNameSize);
    prefix.clear();
  }
  if (entry.type == TarEntry::Type::kSymlink &&
      (entry.link_target.size() > kNameSize || !IsAscii(entry.link_target))) {
    pax += PaxRecord("linkpath", entry.link_target);
  }
  if (!FitsOctal(size, 12)) pax += PaxRecord("size", std::to_string(size));
  if (!FitsOctal(entry.uid, 8)) pax += PaxRecord("uid", std::to_string(entry.uid));
  if (!FitsOctal(entry.gid, 8)) pax += PaxRecord("gid", std::to_string(entry.gid));
  if (entry.uname.size() > kUserNameSize || !IsAscii(entry.uname))
    pax += PaxRecord("uname", entry.uname);
  if (entry.gname.size() > kUserNameSize || !IsAscii(entry.gname))
    pax += PaxRecord("gname", entry.gname);

  if (!pax.empty()) {
    // GNU tar's name for the extended header; readers only look at its records.
    TarEntry pax_header;
    pax_header.mode = 0644;
    pax_header.mtime = entry.mtime;
    WriteHeaderBlock(pax_header, "././@PaxHeader", "", 'x', pax.size());
    Emit(AsBytes(pax));
    EmitZeros((kBlockSize - pax.size() % kBlockSize) % kBlockSize);
  }
  WriteHeaderBlock(entry, name, prefix, static_cast<char>(entry.type), size);
  remaining_ = size;
  pad_ = (kBlockSize - size % kBlockSize) % kBlockSize;
  in_entry_ = true;
}

void TarWriter::Write(ConstByteSpan data) {
  if (data.size() > remaining_) {
    throw Error(ErrorCode::kInternal,
                fmt::format("tar member content exceeds its header size by {} bytes",
                            data.size() - remaining_));
  }
  Emit(data);
  remaining_ -= data.size();
}

uint64_t TarWriter::FinishEntry() {
  if (!in_entry_) return 0;
  uint64_t shortfall = remaining_;
  EmitZeros(remaining_ + pad_);
  remaining_ = 0;
  pad_ = 0;
  in_entry_ = false;
  return shortfall;
}

void TarWriter::Close() {
  FinishEntry();
  EmitZeros(2 * kBlockSize);
  out_.Close();
}

}  // namespace walnut
