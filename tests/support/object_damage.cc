#include "support/object_damage.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/test_util.h"

namespace walnut::testing {

void RewriteObject(Storage& storage, const std::string& key,
                   const std::function<void(std::string&)>& edit, bool keep_metadata) {
  auto reader = storage.Get(key);
  PutOptions options;
  if (keep_metadata) options.metadata = reader->metadata();
  std::string bytes = ReadAll(*reader);
  edit(bytes);
  options.size_hint = bytes.size();
  auto writer = storage.Put(key, options);
  writer->Write(AsBytes(bytes));
  writer->Close();
}

void FlipMiddleBit(std::string& bytes) {
  ASSERT_FALSE(bytes.empty());
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
}

void AlterTarUserName(std::string& tar) {
  constexpr size_t kUname = 265, kUnameSize = 32, kChecksum = 148, kBlock = 512;
  ASSERT_GE(tar.size(), kBlock);
  std::string name = "damaged";
  std::copy(name.begin(), name.end(), tar.begin() + kUname);
  std::fill(tar.begin() + kUname + static_cast<ptrdiff_t>(name.size()),
            tar.begin() + kUname + kUnameSize, '\0');
  // The checksum: the sum of the header's bytes with its own field taken as spaces.
  std::fill(tar.begin() + kChecksum, tar.begin() + kChecksum + 8, ' ');
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += static_cast<unsigned char>(tar[i]);
  std::string field = fmt::format("{:06o}", sum);
  std::copy(field.begin(), field.end(), tar.begin() + kChecksum);
  tar[kChecksum + 6] = '\0';
}

}  // namespace walnut::testing
