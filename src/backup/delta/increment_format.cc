#include "backup/delta/increment_format.h"

#include <cstring>

#include <fmt/format.h>

#include "common/error.h"
#include "common/excerpt.h"

namespace walnut {
namespace {

void PutLe(std::vector<std::byte>& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>(value >> (8 * i)));
}

uint64_t GetLe(const std::byte* in, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(in[i]);
  return value;
}

[[noreturn]] void Corrupt(std::string_view context, std::string_view what) {
  throw Error(ErrorCode::kCorruption, fmt::format("{}: invalid increment: {}", context, what));
}

void ReadExactly(Reader& in, ByteSpan dst, std::string_view context) {
  if (ReadFull(in, dst) != dst.size()) Corrupt(context, "truncated header");
}

}  // namespace

std::vector<std::byte> EncodeIncrementHeader(const IncrementHeader& header) {
  std::vector<std::byte> out(kIncrementSignature.begin(), kIncrementSignature.end());
  out.reserve(header.header_size());
  PutLe(out, header.file_size, 8);
  PutLe(out, header.blocks.size(), 4);
  for (uint32_t block : header.blocks) PutLe(out, block, 4);
  return out;
}

IncrementHeader ReadIncrementHeader(Reader& in, uint64_t stored_size, std::string_view context) {
  std::array<std::byte, kIncrementFixedHeaderSize> fixed{};
  if (stored_size < fixed.size()) {
    Corrupt(context, fmt::format("{} bytes, less than a header", stored_size));
  }
  ReadExactly(in, fixed, context);
  if (fixed[0] != kIncrementSignature[0] || fixed[1] != kIncrementSignature[1] ||
      fixed[3] != kIncrementSignature[3]) {
    Corrupt(context, "bad signature (not a WAL-G increment)");
  }
  if (fixed[2] != kIncrementSignature[2]) {
    Corrupt(context, fmt::format("unknown version '{}'",
                                 Excerpt(std::string(1, static_cast<char>(fixed[2])))));
  }
  IncrementHeader header;
  header.file_size = GetLe(&fixed[4], 8);
  uint64_t count = GetLe(&fixed[12], 4);
  if (header.file_size % pg::kBlockSize != 0 || header.file_size > kIncrementMaxFileSize) {
    Corrupt(context, fmt::format("file size {} is not a whole number of pages up to {}",
                                 header.file_size, kIncrementMaxFileSize));
  }
  uint64_t file_blocks = header.file_size / pg::kBlockSize;
  if (count > file_blocks) {
    Corrupt(context, fmt::format("{} pages for a file of {} pages", count, file_blocks));
  }
  uint64_t expected = kIncrementFixedHeaderSize + count * (4 + pg::kBlockSize);
  if (expected != stored_size) {
    Corrupt(context, fmt::format("{} pages need {} bytes, the backup stores {}", count, expected,
                                 stored_size));
  }
  std::vector<std::byte> numbers(count * 4);
  ReadExactly(in, numbers, context);
  header.blocks.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t block = GetLe(&numbers[i * 4], 4);
    if (block >= file_blocks) {
      Corrupt(context,
              fmt::format("block {} lies past the end of the file ({} pages)", block, file_blocks));
    }
    if (!header.blocks.empty() && block <= header.blocks.back()) {
      Corrupt(context, fmt::format("block {} follows block {}: block numbers must ascend", block,
                                   header.blocks.back()));
    }
    header.blocks.push_back(static_cast<uint32_t>(block));
  }
  return header;
}

}  // namespace walnut
