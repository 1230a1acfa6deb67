#include "support/tar_test_util.h"

#include <algorithm>

#include <fmt/format.h>

namespace walnut::testing {

namespace {

// Copies `text` into the field at `offset` (at most `length` bytes), keeping the block's size.
void PutField(std::string& block, size_t offset, size_t length, const std::string& text) {
  block.replace(offset, std::min(length, text.size()), text.substr(0, length));
}

}  // namespace

std::string TarHeader(const std::string& name, char typeflag, uint64_t size,
                      const std::string& link, const std::string& magic) {
  std::string block(512, '\0');
  PutField(block, 0, 100, name);
  PutField(block, 100, 8, typeflag == '5' ? "0000700" : "0000600");
  PutField(block, 108, 8, "0000000");
  PutField(block, 116, 8, "0000000");
  PutField(block, 124, 12, fmt::format("{:011o}", size));
  PutField(block, 136, 12, fmt::format("{:011o}", 1700000000));
  block[156] = typeflag;
  PutField(block, 157, 100, link);
  PutField(block, 257, 8, magic);
  return WithTarChecksum(block);
}

std::string WithTarChecksum(std::string block) {
  PutField(block, 148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  PutField(block, 148, 8, fmt::format("{:06o}", sum) + std::string("\0 ", 2));
  return block;
}

std::string TarPadded(const std::string& content) {
  return content + std::string((512 - content.size() % 512) % 512, '\0');
}

std::string TarFile(const std::string& name, const std::string& content) {
  return TarHeader(name, '0', content.size()) + TarPadded(content);
}

std::string TarDirectory(const std::string& name) { return TarHeader(name, '5', 0); }

std::string TarSymlink(const std::string& name, const std::string& target) {
  return TarHeader(name, '2', 0, target);
}

std::string TarEnd() { return std::string(1024, '\0'); }

std::string PaxRecord(const std::string& key, const std::string& value) {
  // The length counts its own digits: find the fixed point.
  size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) ++length;
  return fmt::format("{} {}={}\n", length, key, value);
}

}  // namespace walnut::testing
