#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "io/writer.h"

namespace walnut {

// One member of a tar archive, as WAL-G writes it (Go's archive/tar from tar.FileInfoHeader):
// the name is the path relative to PGDATA with a leading '/' ("/base/1/1259"), directories
// carry no trailing '/'.
struct TarEntry {
  enum class Type : char { kRegular = '0', kSymlink = '2', kDirectory = '5' };

  std::string name;
  Type type = Type::kRegular;
  uint32_t mode = 0600;  // permission bits only
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string uname;  // may be empty
  std::string gname;
  int64_t mtime = 0;  // seconds since the epoch (ustar keeps whole seconds, as Go does)
  uint64_t size = 0;  // content bytes; 0 for directories and symlinks
  std::string link_target;
};

// Writes a POSIX tar stream (ustar headers; a PAX extended header 'x' before an entry whose name
// or link target does not fit ustar's fields, or whose size or ids exceed ustar's octal fields),
// readable by GNU tar and Go's archive/tar. Writes go straight to `out`: nothing is buffered
// beyond one 512-byte header. Not thread-safe.
class TarWriter {
 public:
  static constexpr size_t kBlockSize = 512;

  // Borrows `out`. REQUIRES: it outlives this writer.
  explicit TarWriter(Writer& out) : out_(out) {}

  // Starts a member: ends the previous one (see FinishEntry) and writes the header(s).
  // Throws kInvalidArgument for an empty name.
  void AddEntry(const TarEntry& entry);
  // Content of the current regular member. Throws kInternal when it exceeds the header's size.
  void Write(ConstByteSpan data);
  // Ends the current member: a member whose content came short of its header's size (a file that
  // shrank while it was read) is zero-filled to that size, then padded to the block size. Returns
  // the number of zero bytes added for the shortfall. Called by AddEntry and Close too.
  uint64_t FinishEntry();
  // Writes the end-of-archive marker (two zero blocks) and closes `out`.
  void Close();

  // Bytes of tar stream produced so far (headers, content, padding).
  uint64_t bytes_written() const { return bytes_written_; }
  // Bytes still expected for the current member's content.
  uint64_t remaining() const { return remaining_; }

 private:
  void Emit(ConstByteSpan data);
  void EmitZeros(uint64_t count);
  void WriteHeaderBlock(const TarEntry& entry, const std::string& name, const std::string& prefix,
                        char typeflag, uint64_t size);

  Writer& out_;
  uint64_t bytes_written_ = 0;
  uint64_t remaining_ = 0;  // content bytes still owed to the current member
  uint64_t pad_ = 0;        // padding after the current member's content
  bool in_entry_ = false;
};

}  // namespace walnut
