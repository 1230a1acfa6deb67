#include "storage/gcs/gcs_writer.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "storage/gcs/gcs_json.h"

namespace walnut::gcs {
namespace {

constexpr std::string_view kBoundary = "walnut-gcs-multipart-3f9a1c7e";

// "bytes=0-1048575" (a 308's Range header): the last byte the server has, plus one. No header:
// nothing yet.
std::optional<uint64_t> CommittedFromRange(const net::HttpResponse& r) {
  auto range = r.Header("range");
  if (!range) return 0;
  std::string_view v = *range;
  if (!v.starts_with("bytes=0-")) return std::nullopt;
  v.remove_prefix(8);
  uint64_t last = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), last);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return last + 1;
}

}  // namespace

GcsWriter::GcsWriter(GcsClient& client, std::string object,
                     std::map<std::string, std::string> metadata,
                     std::shared_ptr<LateMetadata> late)
    : client_(client),
      object_(std::move(object)),
      metadata_(std::move(metadata)),
      late_(std::move(late)),
      chunk_size_(client.options().chunk_size),
      deadline_(client.OperationDeadline()) {}

GcsWriter::~GcsWriter() {
  if (state_ == State::kOpen || state_ == State::kFailed) Abort();
}

void GcsWriter::CheckOpen() const {
  if (state_ != State::kOpen) {
    throw Error(ErrorCode::kInternal,
                fmt::format("gcs upload of {} used after it ended", client_.Uri(object_)));
  }
}

void GcsWriter::Write(ConstByteSpan src) {
  CheckOpen();
  try {
    while (!src.empty()) {
      // A chunk goes out only once a byte beyond it exists: the last chunk must carry the total.
      if (buffer_.size() == chunk_size_) {
        if (session_.empty()) StartSession();
        SendChunk(/*last=*/false);
      }
      size_t take = std::min<size_t>(src.size(), chunk_size_ - buffer_.size());
      // The whole chunk at once: growing by doubling would copy, holding the old buffer and the
      // new one (up to twice the chunk) at the moment of the copy. Pages not written yet are not
      // resident, so a small object costs only what it holds.
      if (buffer_.capacity() < chunk_size_) buffer_.reserve(chunk_size_);
      buffer_.append(AsChars(src.first(take)));
      src = src.subspan(take);
    }
  } catch (...) {
    state_ = State::kFailed;
    throw;
  }
}

std::string GcsWriter::ResourceJson(bool with_late) const {
  nlohmann::json resource = {{"name", object_}};
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& [k, v] : metadata_) metadata[k] = v;
  if (with_late && late_) {
    for (const auto& [k, v] : late_->values) metadata[k] = v;
  }
  if (!metadata.empty()) resource["metadata"] = metadata;
  return resource.dump();
}

void GcsWriter::StartSession() {
  ++client_.stats().resumable_uploads;
  std::string body = ResourceJson(/*with_late=*/false);
  GcsCall call;
  call.op = "objects.insert (resumable)";
  call.method = "POST";
  call.url = client_.UploadUrl({{"uploadType", "resumable"}});
  call.object = object_;
  call.object_request = true;
  call.headers = {{"Content-Type", "application/json; charset=UTF-8"},
                  {"X-Upload-Content-Type", "application/octet-stream"}};
  call.body = AsBytes(body);
  net::HttpResponse response = client_.SendWithRetries(call, deadline_);
  auto location = response.Header("location");
  if (!location || location->empty()) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("gcs {} {}: the answer has no Location (session URI)", call.op,
                            client_.Uri(object_)));
  }
  session_ = std::string(*location);
}

std::optional<uint64_t> GcsWriter::QueryCommitted(std::optional<uint64_t> total,
                                                  Deadline deadline) {
  GcsCall call;
  call.op = "resumable upload status";
  call.method = "PUT";
  call.url = session_;
  call.object = object_;
  call.object_request = true;
  call.headers = {{"Content-Range", total ? fmt::format("bytes */{}", *total) : "bytes */*"}};
  call.ok_statuses = {200, 201, 308};
  net::HttpResponse response = client_.SendWithRetries(call, deadline);
  if (response.status != 308) return std::nullopt;
  auto committed = CommittedFromRange(response);
  if (!committed) {
    throw Error(ErrorCode::kProtocol,
                fmt::format("gcs {} {}: bad Range header '{}' in a 308 answer", call.op,
                            client_.Uri(object_), response.Header("range").value_or("")));
  }
  return committed;
}

void GcsWriter::SendChunk(bool last) {
  const uint64_t end = offset_ + buffer_.size();  // one past the chunk's last byte
  const std::optional<uint64_t> total = last ? std::optional<uint64_t>(end) : std::nullopt;
  uint64_t from = offset_;  // where the next attempt starts: what the server has
  bool query_first = false;
  client_.Retry(
      [&] {
        if (query_first) {
          // The last attempt failed somewhere: ask what arrived, send only the rest.
          std::optional<uint64_t> committed = QueryCommitted(total, deadline_);
          if (!committed) {
            return;  // the final chunk did arrive whole; only its answer was lost
          }
          if (*committed < offset_ || *committed > end) {
            throw Error(ErrorCode::kProtocol,
                        fmt::format("gcs resumable upload of {}: the server has {} bytes, but "
                                    "the chunk being sent is bytes {}-{}; start the upload again",
                                    client_.Uri(object_), *committed, offset_, end));
          }
          if (*committed != from) ++client_.stats().upload_resumes;
          from = *committed;
          if (from == end && !last) return;
        }
        query_first = true;
        GcsCall call;
        call.op = "resumable upload chunk";
        call.method = "PUT";
        call.url = session_;
        call.object = object_;
        call.object_request = true;
        std::string_view piece = std::string_view(buffer_).substr(from - offset_);
        std::string total_text = total ? std::to_string(*total) : "*";
        call.headers = {{"Content-Range", piece.empty()
                                              ? fmt::format("bytes */{}", total_text)
                                              : fmt::format("bytes {}-{}/{}", from,
                                                            from + piece.size() - 1, total_text)}};
        call.body = AsBytes(piece);
        call.ok_statuses = last ? std::set<long>{200, 201} : std::set<long>{308};
        ++client_.stats().chunks_sent;
        net::HttpResponse response = client_.Send(call);
        if (last) {
          // The object exists: check the answer is one, and keep its generation.
          generation_ = ParseObjectResource(response.body).generation;
          return;
        }
        auto committed = CommittedFromRange(response);
        if (!committed || *committed > end || *committed < from) {
          throw Error(ErrorCode::kProtocol,
                      fmt::format("gcs resumable upload of {}: bad Range '{}' after bytes {}-{}",
                                  client_.Uri(object_), response.Header("range").value_or(""), from,
                                  end - 1),
                      /*retryable=*/true);
        }
        from = *committed;
        if (from < end) {
          // The server kept only part of the chunk: send the rest (a retryable condition that
          // does not count as a failure of the server).
          ++client_.stats().upload_resumes;
          query_first = false;
          throw Error(ErrorCode::kNetwork,
                      fmt::format("gcs resumable upload of {}: the server kept bytes up to {} "
                                  "of {}",
                                  client_.Uri(object_), from, end),
                      /*retryable=*/true);
        }
      },
      deadline_);
  offset_ = end;
  buffer_.clear();
}

void GcsWriter::PutSimple() {
  ++client_.stats().simple_uploads;
  // multipart/related: the resource (name, metadata) as JSON, then the bytes
  // (https://cloud.google.com/storage/docs/uploading-objects#uploading-an-object, JSON API
  // "multipart upload").
  std::string body;
  body.reserve(buffer_.size() + 512);
  body += fmt::format("--{}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{}\r\n",
                      kBoundary, ResourceJson(/*with_late=*/true));
  body += fmt::format("--{}\r\nContent-Type: application/octet-stream\r\n\r\n", kBoundary);
  body += buffer_;
  body += fmt::format("\r\n--{}--\r\n", kBoundary);
  GcsCall call;
  call.op = "objects.insert (multipart)";
  call.method = "POST";
  call.url = client_.UploadUrl({{"uploadType", "multipart"}});
  call.object = object_;
  call.object_request = true;
  call.headers = {{"Content-Type", fmt::format("multipart/related; boundary={}", kBoundary)}};
  call.body = AsBytes(body);
  client_.Retry(
      [&] {
        net::HttpResponse response = client_.Send(call);
        ParseObjectResource(response.body);  // a damaged answer is retried (idempotent upload)
      },
      deadline_);
  if (late_) late_->kept = true;
}

void GcsWriter::Close() {
  CheckOpen();
  try {
    if (session_.empty()) {
      PutSimple();
    } else {
      SendChunk(/*last=*/true);
    }
  } catch (...) {
    state_ = State::kFailed;
    throw;
  }
  state_ = State::kClosed;
  if (late_ && !late_->values.empty() && !session_.empty()) PatchLateMetadata();
  buffer_ = std::string();
}

void GcsWriter::PatchLateMetadata() {
  // objects.patch, conditional on the generation just written: never another writer's object.
  // POST with X-HTTP-Method-Override (Google's APIs take it) keeps net/ to its five methods.
  if (generation_.empty()) return;  // the final answer was lost: the generation is unknown
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& [k, v] : late_->values) metadata[k] = v;
  std::string body = nlohmann::json{{"metadata", metadata}}.dump();
  GcsCall call;
  call.op = "objects.patch";
  call.method = "POST";
  call.url = client_.ObjectUrl(object_, {{"ifGenerationMatch", generation_}});
  call.object = object_;
  call.object_request = true;
  call.headers = {{"X-HTTP-Method-Override", "PATCH"},
                  {"Content-Type", "application/json; charset=UTF-8"}};
  call.body = AsBytes(body);
  call.ok_statuses = {200, 412};
  try {
    net::HttpResponse response = client_.SendWithRetries(call, deadline_);
    late_->kept = response.status == 200;
  } catch (const Error& e) {
    // The object is stored whole; only its digest is missing, and the caller records it
    // elsewhere when kept stays false.
    spdlog::warn("gcs: {} is stored, but its SHA-256 could not be added to its metadata: {}",
                 client_.Uri(object_), e.what());
  }
}

void GcsWriter::Abort() noexcept {
  if (state_ == State::kAborted || state_ == State::kClosed) return;
  state_ = State::kAborted;
  buffer_ = std::string();
  if (session_.empty()) return;
  try {
    GcsCall call;
    call.op = "resumable upload cancel";
    call.method = "DELETE";
    call.url = session_;
    call.object = object_;
    // 499 is GCS's answer to a cancelled session; 404/410: it is gone already.
    call.ok_statuses = {499, 204, 200, 404, 410};
    client_.Send(call);
  } catch (const std::exception& e) {
    spdlog::debug("gcs: cancelling the upload session of {} failed ({}); it expires by itself",
                  client_.Uri(object_), e.what());
  }
}

}  // namespace walnut::gcs
