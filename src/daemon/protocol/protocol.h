#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::daemon {

// WAL-G's daemon protocol (docs/daemon.md): every message is one type byte, a big-endian uint16
// holding the length of the whole message (these three bytes included), and a body. A request is
// answered with one type byte and nothing else.
enum class MessageType : char {
  kCheck = 'C',        // request: is the daemon there (any body, ignored); answered kOk
  kWalPush = 'F',      // request: body = the WAL file name, read from $PGDATA/pg_wal
  kWalFetch = 'f',     // request: body = args (name, destination relative to $PGDATA)
  kOk = 'O',           // answer: done
  kError = 'E',        // answer: failed (the daemon logs why)
  kNotArchived = 'N',  // answer to kWalFetch: the archive does not hold the file
};

inline constexpr size_t kHeaderSize = 3;
// The length field counts the header, so a body holds at most this many bytes.
inline constexpr size_t kMaxBodySize = 0xFFFF - kHeaderSize;

struct Header {
  char type = 0;
  size_t body_size = 0;
};

// The three header bytes of a message of `type` with `body_size` bytes of body. Throws
// kInvalidArgument when the body does not fit the length field.
std::string EncodeHeader(char type, size_t body_size);
// A whole message.
std::string EncodeMessage(MessageType type, std::string_view body);
// Reads the three header bytes. Throws kProtocol for a length below 3 (WAL-G's reader would
// underflow on it).
Header DecodeHeader(std::string_view header);

// The body of a request with several arguments: a count byte, then per argument a big-endian uint16
// length and its bytes. Throws kInvalidArgument for more than 255 arguments or a body that would
// not fit a message.
std::string EncodeArgs(const std::vector<std::string>& args);
// The arguments of such a body. Throws kProtocol with one line when the body is empty, an argument
// runs past its end, or bytes are left over.
std::vector<std::string> DecodeArgs(std::string_view body);

// "check", "wal-push", "wal-fetch", "ok", "error", "not archived", or the byte escaped ("0x07").
std::string DescribeType(char type);

}  // namespace walnut::daemon
