#include "daemon/protocol/protocol.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut::daemon {
namespace {

void AppendUint16(std::string& out, size_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xFF));
  out.push_back(static_cast<char>(value & 0xFF));
}

size_t ReadUint16(std::string_view bytes, size_t at) {
  return (static_cast<size_t>(static_cast<uint8_t>(bytes[at])) << 8) |
         static_cast<uint8_t>(bytes[at + 1]);
}

}  // namespace

std::string EncodeHeader(char type, size_t body_size) {
  if (body_size > kMaxBodySize) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("daemon message of {} bytes is longer than the protocol's {} bytes",
                            body_size + kHeaderSize, kMaxBodySize + kHeaderSize));
  }
  std::string header(1, type);
  AppendUint16(header, body_size + kHeaderSize);
  return header;
}

std::string EncodeMessage(MessageType type, std::string_view body) {
  std::string message = EncodeHeader(static_cast<char>(type), body.size());
  message.append(body);
  return message;
}

Header DecodeHeader(std::string_view header) {
  if (header.size() != kHeaderSize) {
    throw Error(ErrorCode::kProtocol, fmt::format("daemon message header of {} bytes, not {}",
                                                  header.size(), kHeaderSize));
  }
  size_t length = ReadUint16(header, 1);
  if (length < kHeaderSize) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("daemon message of type {} declares a length of {}, below the "
                            "header's own {} bytes",
                            DescribeType(header[0]), length, kHeaderSize));
  }
  return Header{.type = header[0], .body_size = length - kHeaderSize};
}

std::string EncodeArgs(const std::vector<std::string>& args) {
  if (args.size() > 0xFF) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} daemon message arguments, at most 255 fit", args.size()));
  }
  std::string body(1, static_cast<char>(args.size()));
  for (const std::string& arg : args) {
    if (body.size() + 2 + arg.size() > kMaxBodySize) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("daemon message arguments longer than the protocol's {} bytes",
                              kMaxBodySize));
    }
    AppendUint16(body, arg.size());
    body.append(arg);
  }
  return body;
}

std::vector<std::string> DecodeArgs(std::string_view body) {
  if (body.empty()) throw Error(ErrorCode::kProtocol, "daemon message has no argument count");
  size_t count = static_cast<uint8_t>(body[0]);
  std::vector<std::string> args;
  args.reserve(count);
  size_t at = 1;
  for (size_t i = 0; i < count; ++i) {
    if (at + 2 > body.size()) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("daemon message ends before the length of argument {} of {}", i + 1,
                              count));
    }
    size_t length = ReadUint16(body, at);
    at += 2;
    if (length > body.size() - at) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("daemon message argument {} of {} declares {} bytes, {} are left",
                              i + 1, count, length, body.size() - at));
    }
    args.emplace_back(body.substr(at, length));
    at += length;
  }
  if (at != body.size()) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("daemon message has {} bytes after its {} arguments",
                            body.size() - at, count));
  }
  return args;
}

std::string DescribeType(char type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kCheck: return "check";
    case MessageType::kWalPush: return "wal-push";
    case MessageType::kWalFetch: return "wal-fetch";
    case MessageType::kOk: return "ok";
    case MessageType::kError: return "error";
    case MessageType::kNotArchived: return "not archived";
  }
  return fmt::format("0x{:02x}", static_cast<uint8_t>(type));
}

}  // namespace walnut::daemon
