#include "storage/s3/s3_multipart_writer.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/logging.h"
#include "storage/s3/s3_object_lock.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

namespace {

constexpr int kMaxParts = 10000;  // S3's limit per multipart upload
constexpr size_t kMiB = 1 << 20;

}  // namespace

S3MultipartWriter::S3MultipartWriter(S3Client& client, std::string full_key,
                                     std::optional<uint64_t> size_hint,
                                     std::map<std::string, std::string> metadata,
                                     std::shared_ptr<LateMetadata> late)
    : client_(client),
      key_(std::move(full_key)),
      metadata_(std::move(metadata)),
      late_(std::move(late)),
      part_size_(client.options().max_part_size) {
  if (size_hint && *size_hint > static_cast<uint64_t>(part_size_) * kMaxParts) {
    // Grow the parts so the announced size fits into 10000 of them (rounded up to a MiB).
    uint64_t needed = (*size_hint + kMaxParts - 1) / kMaxParts;
    part_size_ = static_cast<size_t>((needed + kMiB - 1) / kMiB * kMiB);
  }
  if (size_hint && *size_hint < part_size_) buffer_.reserve(static_cast<size_t>(*size_hint));
}

S3MultipartWriter::~S3MultipartWriter() {
  if (state_ != State::kClosed) Abort();
}

void S3MultipartWriter::CheckOpen() const {
  if (state_ != State::kOpen) {
    throw Error(
        ErrorCode::kInternal,
        fmt::format("write to {} after it was closed, aborted or failed", client_.Uri(key_)));
  }
}

void S3MultipartWriter::Write(ConstByteSpan src) {
  CheckOpen();
  try {
    while (!src.empty()) {
      // A full buffer is only sent once more data arrives: an object of exactly one part is then
      // still a single PUT.
      if (buffer_.size() == part_size_) SubmitPart();
      size_t n = std::min(src.size(), part_size_ - buffer_.size());
      // Parts after the first are allocated once at full size instead of growing by copies.
      if (!upload_id_.empty() && buffer_.capacity() < part_size_) buffer_.reserve(part_size_);
      buffer_.append(AsChars(src.first(n)));
      total_bytes_ += n;
      src = src.subspan(n);
    }
  } catch (...) {
    state_ = State::kFailed;
    throw;
  }
}

net::HttpHeaders S3MultipartWriter::CreationHeaders(bool with_late_metadata) const {
  net::HttpHeaders headers = client_.ObjectCreationHeaders();
  headers.emplace_back("Content-Type", "application/octet-stream");
  std::map<std::string, std::string> metadata = metadata_;
  if (with_late_metadata && late_) {
    for (const auto& [name, value] : late_->values) metadata[name] = value;
  }
  for (const auto& [name, value] : metadata) {
    headers.emplace_back(std::string(kMetadataHeaderPrefix) + name, value);
  }
  return headers;
}

void S3MultipartWriter::StartMultipart() {
  S3Call call;
  call.op = "CreateMultipartUpload";
  call.method = "POST";
  call.key = key_;
  call.query = {{"uploads", ""}};
  call.headers = CreationHeaders(false);
  call.object_content = true;
  for (const auto& header : call.headers) {
    if (header.first.starts_with("x-amz-object-lock-")) lock_headers_.push_back(header);
  }
  // A retry after a lost answer starts a second upload; the first one is never completed, and is
  // invisible (a bucket lifecycle rule removes its parts, as after any abort that failed).
  client_.Retry([&] {
    upload_id_ = S3Client::ParseAnswer(call.op, client_.Uri(key_), client_.Send(call).body,
                                       ParseInitiateMultipartUpload);
  });
  tasks_ = std::make_unique<TaskGroup>(client_.options().upload_concurrency);
  ++client_.stats().multipart_uploads;
  spdlog::debug("started multipart upload of {} ({} byte parts)", client_.Uri(key_), part_size_);
}

void S3MultipartWriter::SubmitPart() {
  if (upload_id_.empty()) StartMultipart();
  if (parts_submitted_ == kMaxParts) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("{} needs more than {} parts of {} bytes; raise WALG_S3_MAX_PART_SIZE",
                            client_.Uri(key_), kMaxParts, part_size_));
  }
  int number = ++parts_submitted_;
  {
    MutexLock lock(mu_);
    etags_.resize(static_cast<size_t>(number));
  }
  // The part's bytes move into the task; Submit() blocks while upload_concurrency parts are in
  // flight, which is what bounds memory.
  auto part = std::make_shared<const std::string>(std::move(buffer_));
  buffer_ = std::string();
  tasks_->Submit([this, number, part](std::stop_token stop) { UploadPart(number, *part, stop); });
}

void S3MultipartWriter::UploadPart(int number, const std::string& data, std::stop_token stop) {
  S3Call call;
  call.op = fmt::format("UploadPart {}", number);
  call.method = "PUT";
  call.key = key_;
  call.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
  call.body = AsBytes(data);
  call.payload_sha256 = Sha256Hex(call.body);
  call.object_content = true;
  // S3 wants an integrity header on each part of an object under Object Lock.
  if (RetentionEnabled(client_.options())) call.headers = {{"Content-MD5", Md5Base64(call.body)}};
  // Abort() (or another part's failure) stops the task group: cut the transfer short.
  call.stop = stop;
  std::string etag;
  client_.Retry([&] {
    if (stop.stop_requested()) {
      throw Error(ErrorCode::kCancelled, fmt::format("upload of {} cancelled", client_.Uri(key_)));
    }
    net::HttpResponse response = client_.Send(call);
    auto header = response.Header("etag");
    if (!header || header->empty()) {
      throw Error(ErrorCode::kProtocol,
                  fmt::format("s3 UploadPart {} of {} returned no ETag", number, client_.Uri(key_)),
                  /*retryable=*/true);
    }
    etag = std::string(*header);
  });
  ++client_.stats().parts_uploaded;
  MutexLock lock(mu_);
  etags_[static_cast<size_t>(number - 1)] = std::move(etag);
}

void S3MultipartWriter::Complete() {
  std::string body;
  {
    MutexLock lock(mu_);
    body = BuildCompleteMultipartUpload(etags_);
  }
  S3Call call;
  call.op = "CompleteMultipartUpload";
  call.method = "POST";
  call.key = key_;
  call.query = {{"uploadId", upload_id_}};
  call.headers = {{"Content-Type", "application/xml"}};
  call.body = AsBytes(body);
  call.slow_answer = true;  // the server assembles the parts before it answers
  // Not idempotent as such: an attempt whose answer was lost may have completed the upload. The
  // retry then finds the upload id gone, and the object in place.
  bool sent_before = false;
  client_.Retry([&] {
    bool retry = sent_before;
    sent_before = true;
    net::HttpResponse response;
    try {
      response = client_.Send(call);
    } catch (const Error& e) {
      // An earlier attempt may have completed the upload and lost its answer on the way: then
      // the upload id is gone (404 NoSuchUpload) and the object is there with our size. A HEAD
      // that fails on the way is retried with the whole attempt.
      if (!retry || e.code() != ErrorCode::kNotFound) throw;
      auto head = client_.Send(HeadObjectCall(key_, {200, 404}));
      auto length = head.Header("content-length");
      if (head.status == 200 && length && *length == std::to_string(total_bytes_)) return;
      throw;
    }
    // S3 may answer 200 and report the failure in the body.
    if (auto error = EmbeddedError(response.body, "CompleteMultipartUploadResult")) {
      bool transient = error->code == "InternalError" || error->code == "SlowDown";
      throw Error(transient ? ErrorCode::kNetwork : ErrorCode::kProtocol,
                  fmt::format("s3 CompleteMultipartUpload {} failed: {}: {}", client_.Uri(key_),
                              error->code, error->message),
                  transient);
    }
  });
}

void S3MultipartWriter::PutSingle() {
  S3Call call;
  call.op = "PutObject";
  call.method = "PUT";
  call.key = key_;
  call.headers = CreationHeaders(true);
  call.body = AsBytes(buffer_);
  call.payload_sha256 = Sha256Hex(call.body);
  call.object_content = true;
  // S3 refuses an object with Object Lock headers without an integrity header.
  if (RetentionEnabled(client_.options())) {
    call.headers.emplace_back("Content-MD5", Md5Base64(call.body));
  }
  client_.SendWithRetries(call);
  ++client_.stats().single_puts;
  if (late_ && !late_->values.empty()) late_->kept = true;
}

void S3MultipartWriter::Close() {
  CheckOpen();
  try {
    if (upload_id_.empty()) {
      PutSingle();
    } else {
      if (!buffer_.empty()) SubmitPart();
      tasks_->Wait();
      Complete();
      upload_id_.clear();  // completed: nothing left to abort
      EnsureLocked(client_, key_, lock_headers_);
      spdlog::debug("uploaded {} ({} bytes in {} parts)", client_.Uri(key_), total_bytes_,
                    parts_submitted_);
    }
  } catch (...) {
    state_ = State::kFailed;
    Abort();
    throw;
  }
  buffer_ = std::string();
  state_ = State::kClosed;
}

void S3MultipartWriter::Abort() noexcept {
  if (state_ == State::kClosed || state_ == State::kAborted) return;
  state_ = State::kAborted;
  buffer_ = std::string();
  // Stop and join the part uploads first, so no part lands after the abort.
  tasks_.reset();
  if (upload_id_.empty()) return;
  try {
    S3Call call;
    call.op = "AbortMultipartUpload";
    call.method = "DELETE";
    call.key = key_;
    call.query = {{"uploadId", upload_id_}};
    call.ok_statuses = {200, 204};
    client_.Send(call);
  } catch (const std::exception& e) {
    // Not fatal: nothing was completed, so the object is not visible. The parts stay billable
    // until a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them.
    spdlog::warn("cannot abort multipart upload of {}: {}", client_.Uri(key_), e.what());
  }
  upload_id_.clear();
}

}  // namespace walnut::s3
