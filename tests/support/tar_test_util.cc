#include "support/tar_test_util.h"

#include <algorithm>

#include <fmt/format.h>

namespace walnut::testing {

std::string TarHeader(const std::string& name, char typeflag, uint64_t size,
                      const std::string& link, const std::string& magic) {
  std::string block(512, '\0');
  block.replace(0, std::min<size_t>(name.size(), 100), name.substr(0, 100));
  block.replace(100, 8, typeflag == '5' ? "0000700" : "0000600");
  block.replace(108, 8, "0000000");
  block.replace(116, 8, "0000000");
  block.replace(124, 12, fmt::format("{:011o}", size));
  block.replace(136, 12, fmt::format("{:011o}", 1700000000));
  block[156] = typeflag;
  block.replace(157, std::min<size_t>(link.size(), 100), link.substr(0, 100));
  block.replace(257, 8, magic);
  return WithTarChecksum(block);
}

std::string WithTarChecksum(std::string block) {
  block.replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  block.replace(148, 8, fmt::format("{:06o}", sum) + std::string("\0 ", 2));
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
