#include "pipeline/crypto/key_file.h"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"

namespace walnut {

SecretString ReadKeyFile(const std::string& path, std::string_view setting, size_t max_size,
                         std::string_view holds) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowSystemError(fmt::format("{}: cannot open key file", setting), path);
  // One byte more than allowed, to tell a file of max_size bytes from a larger one. The bytes
  // past those read stay zero, so wiping the first `size` of them (SecretString) wipes the key.
  std::string bytes(max_size + 1, '\0');
  size_t size = 0;
  while (size < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      SecretString wipe(std::move(bytes));
      ThrowSystemError(fmt::format("{}: cannot read key file", setting), path, err);
    }
    size += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(size);
  SecretString contents(std::move(bytes));
  if (size > max_size) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: key file {} is larger than {} bytes; it should hold only {}",
                            setting, path, max_size, holds));
  }
  return contents;
}

}  // namespace walnut
