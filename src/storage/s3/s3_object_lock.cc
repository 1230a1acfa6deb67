#include "storage/s3/s3_object_lock.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "common/logging.h"
#include "storage/s3/s3_versions_xml.h"
#include "storage/s3/sigv4.h"

namespace walnut::s3 {

namespace {

bool MentionsObjectLock(std::string_view message) {
  std::string lower(message);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("object lock") != std::string::npos ||
         lower.find("retention") != std::string::npos ||
         lower.find("legal hold") != std::string::npos;
}

// The retention end of one version (its current one without an id); nullopt when the object has
// no retention or the server would not say (no s3:GetObjectRetention permission, an old server).
std::optional<std::chrono::system_clock::time_point> RetainUntil(S3Client& client,
                                                                 const DeleteFailure& failure) {
  S3Call call;
  call.op = "GetObjectRetention";
  call.method = "GET";
  call.key = failure.key;
  call.query = {{"retention", ""}};
  if (!failure.version_id.empty()) call.query.emplace_back("versionId", failure.version_id);
  try {
    return S3Client::ParseAnswer(call.op, client.Uri(call.key), client.SendWithRetries(call).body,
                                 ParseRetainUntil);
  } catch (const Error& e) {
    spdlog::debug("cannot learn the retention of {}: {}", client.Uri(call.key), e.what());
    return std::nullopt;
  }
}

}  // namespace

net::HttpHeaders ObjectLockHeaders(const S3Options& options,
                                   std::chrono::system_clock::time_point now) {
  if (!RetentionEnabled(options)) return {};
  auto until = std::chrono::floor<std::chrono::seconds>(now) +
               std::chrono::hours(24) * options.retention_days;
  return {{"x-amz-object-lock-mode", options.retention_mode},
          {"x-amz-object-lock-retain-until-date",
           fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                       fmt::gmtime(std::chrono::system_clock::to_time_t(until)))}};
}

void EnsureLocked(S3Client& client, const std::string& full_key, const net::HttpHeaders& lock) {
  std::string mode, until;
  for (const auto& [name, value] : lock) {
    if (name == "x-amz-object-lock-mode") mode = value;
    if (name == "x-amz-object-lock-retain-until-date") until = value;
  }
  if (mode.empty() || until.empty()) return;
  net::HttpResponse head = client.SendWithRetries(HeadObjectCall(full_key));
  if (head.Header("x-amz-object-lock-mode")) return;
  spdlog::debug("{} came out of its multipart upload unlocked: setting its retention",
                client.Uri(full_key));
  std::string body = fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?><Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>{}</Mode><RetainUntilDate>{}</RetainUntilDate></Retention>)",
      mode, until);
  S3Call call;
  call.op = "PutObjectRetention";
  call.method = "PUT";
  call.key = full_key;
  call.query = {{"retention", ""}};
  call.body = AsBytes(body);
  call.headers = {{"Content-MD5", Md5Base64(call.body)}, {"Content-Type", "application/xml"}};
  client.SendWithRetries(call);
}

LockedObjects SeparateLocked(S3Client& client, std::vector<DeleteFailure>& failures) {
  LockedObjects locked;
  auto denied = [](const DeleteFailure& f) { return f.code == "AccessDenied"; };
  auto first = std::find_if(failures.begin(), failures.end(), denied);
  if (first == failures.end()) return locked;
  // One question per answer, not per key: a batch's keys were written under the same settings.
  std::optional<std::chrono::system_clock::time_point> until = RetainUntil(client, *first);
  const bool retention_to_come = until && *until > std::chrono::system_clock::now();
  std::vector<DeleteFailure> others;
  for (DeleteFailure& failure : failures) {
    if (denied(failure) && (retention_to_come || MentionsObjectLock(failure.message))) {
      locked.keys.push_back(std::move(failure.key));
    } else {
      others.push_back(std::move(failure));
    }
  }
  if (!locked.empty()) locked.retain_until = until;
  failures = std::move(others);
  return locked;
}

}  // namespace walnut::s3
