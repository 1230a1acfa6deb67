#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/sftp/sftp_pool.h"

namespace walnut::sftp {

// SFTP requests libssh 0.10 has no call for (OpenSSH's posix-rename extension) or no pipelined
// form of (writes), sent and answered on the SFTP channel directly. Safe only while libssh has no
// request of its own outstanding on the connection: then every packet on the channel answers one
// of ours. A lease's connection is its user's alone, and libssh's calls wait for their answers,
// so that holds between libssh calls. Our request ids start at 0x40000000, far from libssh's
// counter. A failure to send or to read a valid answer marks the connection broken.

// An SFTP packet body, built field by field (big-endian, as the protocol says).
class SftpPacket {
 public:
  explicit SftpPacket(uint8_t type) { body_.push_back(static_cast<char>(type)); }
  SftpPacket& U32(uint32_t v);
  SftpPacket& U64(uint64_t v);
  SftpPacket& String(std::string_view s);
  const std::string& body() const { return body_; }

 private:
  std::string body_;
};

// A new request id for raw requests on this lease's connection.
uint32_t NextRawId(SftpLease& lease);

// Sends the packet; throws kNetwork (retryable) naming `what` when the channel fails.
void SendRaw(SftpLease& lease, const SftpPacket& packet, std::string_view what);

// Waits (within the storage timeout) for the next packet, which must be the status answer to
// request `id`, and returns its status code (SSH_FX_*). Throws kNetwork (retryable) naming `what`
// when none comes or it is something else.
uint32_t ReadRawStatus(SftpLease& lease, uint32_t id, std::string_view what);

}  // namespace walnut::sftp
