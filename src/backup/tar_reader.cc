#include "backup/tar_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <functional>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/excerpt.h"

namespace walnut {
namespace {

// Field offsets and lengths of a ustar header block (POSIX.1-1988; GNU uses the same layout up
// to the magic, then other fields where ustar keeps the name prefix).
struct Field {
  size_t offset;
  size_t length;
};
constexpr Field kName{0, 100};
constexpr Field kMode{100, 8};
constexpr Field kSize{124, 12};
constexpr Field kMtime{136, 12};
constexpr Field kChecksum{148, 8};
constexpr size_t kTypeflagOffset = 156;
constexpr Field kLinkName{157, 100};
constexpr Field kMagic{257, 8};  // magic and version together
constexpr Field kPrefix{345, 155};

constexpr std::string_view kUstarMagic{
    "ustar\0"
    "00",
    8};
constexpr std::string_view kGnuMagic{"ustar  \0", 8};
constexpr size_t kMaxPathLength = 4096;  // PATH_MAX: longer names cannot be created anyway

std::string_view FieldView(const std::byte* block, Field field) {
  return {reinterpret_cast<const char*>(block) + field.offset, field.length};
}

// A NUL-terminated string field.
std::string CString(const std::byte* block, Field field) {
  std::string_view view = FieldView(block, field);
  return std::string(view.substr(0, view.find('\0')));
}

// A numeric field as Go's archive/tar reads it: base-256 when the high bit of the first byte is
// set (GNU, for values octal cannot hold), else octal digits surrounded by optional spaces and
// NULs. Negative base-256 numbers are refused: no field Walnut uses may be negative.
std::optional<uint64_t> ParseNumber(std::string_view field) {
  if (!field.empty() && (static_cast<unsigned char>(field[0]) & 0x80) != 0) {
    if ((static_cast<unsigned char>(field[0]) & 0x40) != 0) return std::nullopt;
    uint64_t value = static_cast<unsigned char>(field[0]) & 0x3f;
    for (size_t i = 1; i < field.size(); ++i) {
      if (value >> 55 != 0) return std::nullopt;  // would overflow 63 bits
      value = (value << 8) | static_cast<unsigned char>(field[i]);
    }
    return value;
  }
  size_t begin = field.find_first_not_of(std::string_view(" \0", 2));
  if (begin == std::string_view::npos) return 0;
  size_t end = field.find_last_not_of(std::string_view(" \0", 2)) + 1;
  std::string_view digits = field.substr(begin, end - begin);
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 8);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

bool IsZeroBlock(const std::byte* block) {
  return std::all_of(block, block + TarReader::kBlockSize,
                     [](std::byte b) { return b == std::byte{0}; });
}

// The header checksum: the sum of all bytes with the checksum field taken as spaces. Historic
// writers summed signed chars, so both sums are accepted (as Go and GNU tar do).
bool ChecksumMatches(const std::byte* block, uint64_t stored) {
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < TarReader::kBlockSize; ++i) {
    bool in_field = i >= kChecksum.offset && i < kChecksum.offset + kChecksum.length;
    auto byte = in_field ? static_cast<unsigned char>(' ') : static_cast<unsigned char>(block[i]);
    unsigned_sum += byte;
    signed_sum += static_cast<signed char>(byte);
  }
  return stored == unsigned_sum || static_cast<int64_t>(stored) == signed_sum;
}

// Pending values of a PAX extended header or GNU long-name entry, applied to the next entry.
struct Overrides {
  std::optional<std::string> path;
  std::optional<std::string> link_path;
  std::optional<uint64_t> size;
  std::optional<int64_t> mtime;
};

}  // namespace

std::optional<std::string> NormalizeTarPath(std::string_view name) {
  if (name.find('\0') != std::string_view::npos) return std::nullopt;
  std::string out;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view component = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (component.empty() || component == ".") continue;
    if (component == "..") return std::nullopt;
    if (!out.empty()) out += '/';
    out += component;
  }
  return out;
}

TarReader::TarReader(Reader& input, std::string tar_name)
    : input_(input), tar_name_(std::move(tar_name)) {}

void TarReader::Fail(const std::string& what) const {
  if (raw_name_.empty()) {
    throw Error(ErrorCode::kCorruption, fmt::format("tar {}: {}", tar_name_, what));
  }
  throw Error(ErrorCode::kCorruption,
              fmt::format("tar {}: entry {}: {}", tar_name_, Excerpt(raw_name_), what));
}

bool TarReader::ReadBlock(std::byte* block) {
  size_t n = ReadFull(input_, ByteSpan(block, kBlockSize));
  if (n == 0) return false;
  if (n < kBlockSize) Fail("truncated: the stream ends inside a header block");
  return true;
}

size_t TarReader::ReadContent(ByteSpan dst) {
  if (remaining_ == 0 || dst.empty()) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), remaining_));
  size_t n = input_.Read(dst.first(want));
  if (n == 0) {
    Fail(
        fmt::format("truncated: the stream ends {} bytes before the end of the entry", remaining_));
  }
  remaining_ -= n;
  return n;
}

void TarReader::SkipRemaining() {
  std::array<std::byte, 16384> scratch;
  while (remaining_ > 0) ReadContent(scratch);
  while (padding_ > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(padding_, scratch.size()));
    size_t n = ReadFull(input_, ByteSpan(scratch.data(), want));
    if (n < want) Fail("truncated: the stream ends inside the padding after the entry");
    padding_ -= n;
  }
}

std::string TarReader::ReadExtendedData(uint64_t size, std::string_view what) {
  if (size > kMaxExtendedHeaderSize) {
    Fail(fmt::format("{} of {} bytes exceeds the {} byte limit", what, size,
                     kMaxExtendedHeaderSize));
  }
  std::string data(static_cast<size_t>(size), '\0');
  remaining_ = size;
  padding_ = (kBlockSize - size % kBlockSize) % kBlockSize;
  size_t got = 0;
  while (got < data.size()) {
    got += ReadContent(AsWritableBytes(data).subspan(got));
  }
  SkipRemaining();
  return data;
}

void TarReader::DrainAfterEnd() {
  std::array<std::byte, 65536> scratch;
  for (;;) {
    size_t n = input_.Read(scratch);
    if (n == 0) return;
    if (!std::all_of(scratch.begin(), scratch.begin() + static_cast<ptrdiff_t>(n),
                     [](std::byte b) { return b == std::byte{0}; })) {
      raw_name_.clear();
      Fail("unexpected data after the end-of-archive marker");
    }
  }
}

namespace {

// Parses PAX records "<length> <key>=<value>\n" into `overrides`.
void ParsePaxRecords(std::string_view data, Overrides& overrides,
                     const std::function<void(const std::string&)>& fail) {
  while (!data.empty()) {
    size_t space = data.find(' ');
    if (space == std::string_view::npos) fail("malformed PAX record (no length)");
    std::optional<uint64_t> length = ParseDecimal(data.substr(0, space));
    if (!length || *length <= space + 1 || *length > data.size()) {
      fail("malformed PAX record (bad length)");
    }
    std::string_view record = data.substr(space + 1, *length - space - 1);
    data.remove_prefix(*length);
    if (record.empty() || record.back() != '\n') fail("malformed PAX record (no newline)");
    record.remove_suffix(1);
    size_t equals = record.find('=');
    if (equals == std::string_view::npos || equals == 0) fail("malformed PAX record (no key)");
    std::string_view key = record.substr(0, equals);
    std::string_view value = record.substr(equals + 1);
    if (key == "path") {
      overrides.path = std::string(value);
    } else if (key == "linkpath") {
      overrides.link_path = std::string(value);
    } else if (key == "size") {
      overrides.size = ParseDecimal(value);
      if (!overrides.size) fail(fmt::format("malformed PAX size '{}'", Excerpt(value)));
    } else if (key == "mtime") {
      // "<seconds>[.<fraction>]", possibly negative; whole seconds are kept (as ustar's field).
      std::string_view seconds = value.substr(0, value.find('.'));
      bool negative = !seconds.empty() && seconds[0] == '-';
      if (negative) seconds.remove_prefix(1);
      std::optional<uint64_t> parsed = ParseDecimal(seconds);
      if (!parsed || *parsed > static_cast<uint64_t>(INT64_MAX)) {
        fail(fmt::format("malformed PAX mtime '{}'", Excerpt(value)));
      }
      overrides.mtime = negative ? -static_cast<int64_t>(*parsed) : static_cast<int64_t>(*parsed);
    } else if (key.starts_with("GNU.sparse.")) {
      throw Error(ErrorCode::kUnsupported, "sparse files are not supported");
    }
    // Other keys (uid, gid, uname, gname, atime, ctime, SCHILY.*, LIBARCHIVE.*) do not matter for
    // a restore by the running user.
  }
}

// The fields of a ustar/GNU/v7 header block that a restore uses, checked.
struct HeaderBlock {
  uint64_t size = 0;
  uint64_t mode = 0;
  uint64_t mtime = 0;
  char typeflag = '0';
};

using FailFn = std::function<void(const std::string&)>;

// Checks a header block (checksum, magic) and parses its numeric fields; `raw_name` gets the
// name, with the ustar prefix.
HeaderBlock ParseHeaderBlock(const std::byte* block, std::string& raw_name, const FailFn& fail) {
  raw_name = CString(block, kName);
  std::optional<uint64_t> checksum = ParseNumber(FieldView(block, kChecksum));
  if (!checksum || !ChecksumMatches(block, *checksum)) {
    fail("header checksum mismatch (not a tar stream, or corrupt)");
  }
  std::string_view magic = FieldView(block, kMagic);
  bool ustar = magic == kUstarMagic;
  bool gnu = magic == kGnuMagic;
  bool v7 = std::all_of(magic.begin(), magic.end(), [](char c) { return c == '\0'; });
  if (!ustar && !gnu && !v7) fail("unknown tar format (bad magic)");
  if (ustar) {
    std::string prefix = CString(block, kPrefix);
    if (!prefix.empty()) raw_name = prefix + "/" + raw_name;
  }
  std::optional<uint64_t> size = ParseNumber(FieldView(block, kSize));
  std::optional<uint64_t> mode = ParseNumber(FieldView(block, kMode));
  std::optional<uint64_t> mtime = ParseNumber(FieldView(block, kMtime));
  if (!size) fail("malformed size field");
  if (!mode) fail("malformed mode field");
  if (!mtime) fail("malformed mtime field");
  return HeaderBlock{*size, *mode, *mtime, static_cast<char>(block[kTypeflagOffset])};
}

bool IsExtension(char typeflag) {
  return typeflag == 'x' || typeflag == 'g' || typeflag == 'L' || typeflag == 'K';
}

// The entry's type (and a symlink's target) from its typeflag; anything Walnut does not restore
// (hard links, devices, FIFOs, sparse files) is kUnsupported naming the entry.
void SetEntryType(TarEntry& entry, char typeflag, const std::byte* block,
                  const Overrides& overrides, const std::string& raw_name,
                  const std::string& tar_name, const FailFn& fail) {
  switch (typeflag) {
    case '0':
    case '7':  // contiguous file: a regular file everywhere but on one historic system
      entry.type = TarEntry::Type::kRegular;
      return;
    case '\0':  // old-style regular file; a trailing '/' made it a directory
      entry.type = raw_name.ends_with('/') ? TarEntry::Type::kDirectory : TarEntry::Type::kRegular;
      return;
    case '5':
      entry.type = TarEntry::Type::kDirectory;
      return;
    case '2':
      entry.type = TarEntry::Type::kSymlink;
      entry.link_target = overrides.link_path ? *overrides.link_path : CString(block, kLinkName);
      if (entry.link_target.empty()) fail("symbolic link without a target");
      if (entry.link_target.find('\0') != std::string::npos) {
        fail("symbolic link target contains NUL");
      }
      return;
    default: {
      std::string_view kind = typeflag == '1'   ? "hard link"
                              : typeflag == '3' ? "character device"
                              : typeflag == '4' ? "block device"
                              : typeflag == '6' ? "FIFO"
                              : typeflag == 'S' ? "sparse file"
                                                : "entry";
      char shown = typeflag >= 0x20 && typeflag < 0x7f ? typeflag : '?';
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("tar {}: entry {}: unsupported {} (type '{}')", tar_name,
                              Excerpt(raw_name), kind, shown));
    }
  }
}

// The entry's path relative to the target: bounded, without '..' or NUL, and not empty unless it
// is the target directory itself.
std::string SafeEntryPath(const std::string& raw_name, TarEntry::Type type, const FailFn& fail) {
  if (raw_name.empty()) fail("entry without a name");
  if (raw_name.size() > kMaxPathLength) {
    fail(fmt::format("name longer than {} bytes", kMaxPathLength));
  }
  std::optional<std::string> path = NormalizeTarPath(raw_name);
  if (!path) {
    fail("unsafe name (a '..' component or a NUL byte): refusing to extract outside the target");
  }
  if (path->empty() && type != TarEntry::Type::kDirectory) fail("entry without a name");
  return std::move(*path);
}

}  // namespace

std::optional<TarEntry> TarReader::Next() {
  if (ended_) return std::nullopt;
  SkipRemaining();
  raw_name_.clear();

  Overrides overrides;
  bool pending_extension = false;
  std::array<std::byte, kBlockSize> block;
  const FailFn fail = [this](const std::string& what) { Fail(what); };
  for (;;) {
    if (!ReadBlock(block.data())) {
      Fail(pending_extension ? "truncated: the stream ends after an extended header"
                             : "truncated: the stream ends without the end-of-archive marker");
    }
    if (IsZeroBlock(block.data())) {
      if (pending_extension) Fail("an extended header is followed by the end-of-archive marker");
      ended_ = true;
      DrainAfterEnd();
      return std::nullopt;
    }
    HeaderBlock header = ParseHeaderBlock(block.data(), raw_name_, fail);
    if (IsExtension(header.typeflag)) {
      std::string data = ReadExtendedData(
          header.size, header.typeflag == 'L' || header.typeflag == 'K' ? "GNU long name"
                                                                        : "PAX extended header");
      if (header.typeflag == 'x') {
        try {
          ParsePaxRecords(data, overrides, fail);
        } catch (const Error& e) {
          if (e.code() != ErrorCode::kUnsupported) throw;
          throw Error(ErrorCode::kUnsupported,
                      fmt::format("tar {}: entry {}: {}", tar_name_, Excerpt(raw_name_), e.what()));
        }
      } else if (header.typeflag == 'L') {
        overrides.path = data.substr(0, data.find('\0'));
      } else if (header.typeflag == 'K') {
        overrides.link_path = data.substr(0, data.find('\0'));
      }
      // A global header ('g') sets defaults for the whole archive; none of its keys matter here.
      pending_extension = header.typeflag != 'g';
      continue;
    }

    if (overrides.path) raw_name_ = *overrides.path;
    TarEntry entry;
    entry.mode = static_cast<uint32_t>(header.mode & 07777);
    entry.mtime = overrides.mtime ? *overrides.mtime : static_cast<int64_t>(header.mtime);
    SetEntryType(entry, header.typeflag, block.data(), overrides, raw_name_, tar_name_, fail);
    entry.name = SafeEntryPath(raw_name_, entry.type, fail);
    // Directories and links carry no content whatever their size field says (as Go reads them).
    entry.size = entry.type == TarEntry::Type::kRegular ? overrides.size.value_or(header.size) : 0;
    remaining_ = entry.size;
    padding_ = (kBlockSize - entry.size % kBlockSize) % kBlockSize;
    return entry;
  }
}

}  // namespace walnut
