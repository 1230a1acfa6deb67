#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "backup/tar_writer.h"
#include "common/bytes.h"
#include "io/reader.h"

namespace walnut {

// Reads a tar stream entry by entry, without buffering more than one header block and the
// (bounded) extended headers: ustar, PAX extended headers ('x': path, linkpath, size, mtime;
// global 'g' headers are skipped) and GNU long names ('L', 'K'), as GNU tar and Go's archive/tar
// (so WAL-G) write them.
//
// Validation is strict, because the bytes come from storage: header checksums, octal and base-256
// number fields, PAX record syntax, sizes, and names. Next() hands out names that are safe to join
// to a target directory: WAL-G's leading '/' and "./" prefixes are stripped, "." and empty
// components dropped, and ".." components or NUL bytes refused. The stream must end with the
// end-of-archive marker (a zero block); whatever follows it must be zero padding, and it is read to
// the end so that the decoders below check their trailers (frame checksums, the final AEAD tag).
//
// Every error is kCorruption (kUnsupported for entry types Walnut cannot restore: hard links,
// devices, FIFOs, sparse files) with a message naming the tar and, where known, the entry.
// Not thread-safe.
class TarReader {
 public:
  static constexpr size_t kBlockSize = 512;
  // The largest PAX extended header or GNU long name accepted (real ones are a few hundred bytes).
  static constexpr uint64_t kMaxExtendedHeaderSize = 1 << 20;

  // Borrows `input`; `tar_name` names the archive in error messages.
  TarReader(Reader& input, std::string tar_name);

  // Moves to the next entry, skipping what is left of the current one. Returns nullopt at the
  // end-of-archive marker. In the returned entry `name` is the validated path relative to the
  // target directory ("base/1/1259"; "" for the archive's root directory "./"), `link_target` the
  // symlink target as stored, `mode` the permission bits, `mtime` whole seconds, `size` the
  // content length (0 for directories and symlinks). uid/gid/uname/gname are not reported.
  std::optional<TarEntry> Next();

  // Reads the current entry's content: returns 0 at its end. Throws kCorruption when the stream
  // ends before the size the header promised.
  size_t ReadContent(ByteSpan dst);
  // A Reader over the current entry's content (valid until the next Next()).
  Reader& content() { return content_; }

  // The archive name given at construction, for messages.
  const std::string& tar_name() const { return tar_name_; }

 private:
  class ContentReader : public Reader {
   public:
    explicit ContentReader(TarReader& tar) : tar_(tar) {}
    size_t Read(ByteSpan dst) override { return tar_.ReadContent(dst); }

   private:
    TarReader& tar_;
  };

  // Reads one block; false at a clean end of stream (no byte read).
  bool ReadBlock(std::byte* block);
  // Reads the content of an extended header entry ('x', 'g', 'L', 'K') of `size` bytes.
  std::string ReadExtendedData(uint64_t size, std::string_view what);
  void SkipRemaining();
  void DrainAfterEnd();
  [[noreturn]] void Fail(const std::string& what) const;

  Reader& input_;
  std::string tar_name_;
  std::string raw_name_;    // the current entry's stored name
  uint64_t remaining_ = 0;  // content bytes of the current entry not yet read
  uint64_t padding_ = 0;    // zero bytes after the current entry's content
  bool ended_ = false;
  ContentReader content_{*this};
};

// Makes a stored tar member name safe to join to a target directory (see TarReader). Returns
// nullopt when it contains a ".." component or a NUL byte.
std::optional<std::string> NormalizeTarPath(std::string_view name);

}  // namespace walnut
