#pragma once

#include <cstdint>
#include <string>

namespace walnut::testing {

// Hand-made tar pieces for tests that need exact (or broken) headers; real archives come from
// GNU tar (see tar_reader_test.cc).

// A ustar header block; call WithTarChecksum() after any further change to it.
std::string TarHeader(const std::string& name, char typeflag, uint64_t size,
                      const std::string& link = "",
                      const std::string& magic = std::string("ustar\0"
                                                             "00",
                                                             8));
// `block` with its checksum field filled in.
std::string WithTarChecksum(std::string block);
// `content` zero-padded to a multiple of 512 bytes.
std::string TarPadded(const std::string& content);
// A complete regular-file member (header with checksum, content, padding).
std::string TarFile(const std::string& name, const std::string& content);
std::string TarDirectory(const std::string& name);
std::string TarSymlink(const std::string& name, const std::string& target);
// The end-of-archive marker (two zero blocks).
std::string TarEnd();
// One PAX record "<length> <key>=<value>\n".
std::string PaxRecord(const std::string& key, const std::string& value);

}  // namespace walnut::testing
