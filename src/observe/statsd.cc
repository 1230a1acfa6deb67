#include "observe/statsd.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace walnut::observe {
namespace {

// The largest datagram WAL-G's statsd client fills (an Ethernet MTU minus headers).
constexpr size_t kMaxDatagram = 1432;

std::string Line(std::string_view name, const std::vector<std::pair<std::string, std::string>>& tags,
                 uint64_t value, std::string_view type,
                 const std::map<std::string, std::string>& extra) {
  std::string line(name);
  for (const auto& [k, v] : tags) line += fmt::format(",{}={}", k, v);
  for (const auto& [k, v] : extra) line += fmt::format(",{}={}", k, v);
  return fmt::format("{}:{}|{}", line, value, type);
}

}  // namespace

std::vector<std::string> StatsdLines(const stats::Snapshot& s,
                                     const std::map<std::string, std::string>& extra) {
  std::vector<std::string> lines;
  lines.push_back(Line("walg_s3_bytes_read", {}, s.s3_bytes_read, "g", extra));
  lines.push_back(Line("walg_s3_bytes_written", {}, s.s3_bytes_written, "g", extra));
  for (const auto& [code, count] : s.s3_responses) {
    lines.push_back(Line("walg_s3_response_", {{"code", std::to_string(code)}}, count, "g", extra));
  }
  lines.push_back(
      Line("walg_uploader_uploaded_files_failed_total", {}, s.uploaded_files_failed, "c", extra));
  lines.push_back(Line("walg_uploader_uploaded_files_total", {}, s.uploaded_files, "c", extra));
  return lines;
}

std::map<std::string, std::string> ParseStatsdTags(const std::string& json) {
  std::map<std::string, std::string> tags;
  if (json.empty()) return tags;
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    throw Error(ErrorCode::kInvalidArgument,
                "WALG_STATSD_EXTRA_TAGS: expected a JSON object of tags, e.g. {\"env\": \"prod\"}");
  }
  for (const auto& [k, v] : doc.items()) tags[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return tags;
}

void SendStatsd(const std::string& address, const std::vector<std::string>& lines) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("WALG_STATSD_ADDRESS '{}': expected host:port", address));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.empty() ? "127.0.0.1" : host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    throw Error(ErrorCode::kNetwork, fmt::format("statsd address {} (WALG_STATSD_ADDRESS): {}",
                                                 address, ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) ThrowSystemError("cannot open a UDP socket for statsd", address, errno);
  std::unique_ptr<int, void (*)(int*)> fd_guard(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  auto send = [&](const std::string& datagram) {
    if (datagram.empty()) return;
    if (::sendto(fd, datagram.data(), datagram.size(), 0, found->ai_addr, found->ai_addrlen) < 0) {
      ThrowSystemError("cannot send statsd metrics to", address, errno);
    }
  };
  std::string datagram;
  for (const auto& line : lines) {
    if (!datagram.empty() && datagram.size() + 1 + line.size() > kMaxDatagram) {
      send(datagram);
      datagram.clear();
    }
    if (!datagram.empty()) datagram += '\n';
    datagram += line;
  }
  send(datagram);
}

}  // namespace walnut::observe
