#include "storage/sftp/sftp_raw.h"

#include <fmt/format.h>

namespace walnut::sftp {
namespace {

// Status answers are a few dozen bytes; anything much larger is not one.
constexpr uint32_t kMaxStatusPacket = 64 * 1024;
constexpr uint32_t kFirstRawId = 0x40000000u;

uint32_t GetU32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

// Reads exactly n bytes of the channel within the timeout; false when it ends or fails.
bool ReadChannel(ssh_channel channel, char* out, size_t n, int timeout_ms) {
  while (n > 0) {
    int got = Ssh().ssh_channel_read_timeout(channel, out, static_cast<uint32_t>(n), 0, timeout_ms);
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

Error Broken(SftpLease& lease, std::string_view what, std::string_view problem) {
  lease->MarkBroken();
  return Error(ErrorCode::kNetwork,
               fmt::format("{} on {}: {} ({})", what, ServerName(lease.pool_options()), problem,
                           Ssh().ssh_get_error(lease->session())),
               /*retryable=*/true);
}

}  // namespace

SftpPacket& SftpPacket::U32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    body_.push_back(static_cast<char>((v >> shift) & 0xff));
  return *this;
}

SftpPacket& SftpPacket::U64(uint64_t v) {
  U32(static_cast<uint32_t>(v >> 32));
  return U32(static_cast<uint32_t>(v & 0xffffffffu));
}

SftpPacket& SftpPacket::String(std::string_view s) {
  U32(static_cast<uint32_t>(s.size()));
  body_.append(s);
  return *this;
}

uint32_t NextRawId(SftpLease& lease) { return kFirstRawId + lease->raw_requests()++; }

void SendRaw(SftpLease& lease, const SftpPacket& packet, std::string_view what) {
  SftpConnection::Busy busy(*lease);
  std::string framed;
  framed.reserve(packet.body().size() + 4);
  uint32_t length = static_cast<uint32_t>(packet.body().size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    framed.push_back(static_cast<char>((length >> shift) & 0xff));
  }
  framed += packet.body();
  ssh_channel channel = lease->sftp()->channel;
  if (Ssh().ssh_channel_write(channel, framed.data(), static_cast<uint32_t>(framed.size())) !=
      static_cast<int>(framed.size())) {
    throw Broken(lease, what, "the request could not be sent");
  }
}

uint32_t ReadRawStatus(SftpLease& lease, uint32_t id, std::string_view what) {
  SftpConnection::Busy busy(*lease);
  ssh_channel channel = lease->sftp()->channel;
  int timeout_ms = static_cast<int>(lease.pool_options().timeout.count());
  char header[4];
  if (!ReadChannel(channel, header, 4, timeout_ms)) {
    throw Broken(lease, what, "no answer within the timeout");
  }
  uint32_t length = GetU32(std::string_view(header, 4), 0);
  if (length < 9 || length > kMaxStatusPacket) throw Broken(lease, what, "a malformed answer");
  std::string answer(length, '\0');
  if (!ReadChannel(channel, answer.data(), length, timeout_ms)) {
    throw Broken(lease, what, "the answer was cut short");
  }
  if (static_cast<unsigned char>(answer[0]) != SSH_FXP_STATUS || GetU32(answer, 1) != id) {
    throw Broken(lease, what, "an answer to another request");
  }
  return GetU32(answer, 5);
}

}  // namespace walnut::sftp
