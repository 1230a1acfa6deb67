#include "storage/azure/azure_block_writer.h"

#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "storage/azure/azure_xml.h"
#include "storage/azure/shared_key.h"

namespace walnut::azure {
namespace {

std::string RandomPrefix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

}  // namespace

AzureBlockWriter::AzureBlockWriter(AzureClient& client, std::string blob,
                                   std::map<std::string, std::string> metadata,
                                   std::shared_ptr<LateMetadata> late)
    : client_(client),
      blob_(std::move(blob)),
      metadata_(std::move(metadata)),
      late_(std::move(late)),
      buffer_size_(client.options().buffer_size),
      id_prefix_(RandomPrefix()) {
  if (client.options().max_buffers > 1) {
    tasks_ = std::make_unique<TaskGroup>(client.options().max_buffers - 1);
  }
}

AzureBlockWriter::~AzureBlockWriter() {
  if (state_ == State::kOpen) Abort();
}

void AzureBlockWriter::CheckOpen() const {
  if (state_ != State::kOpen) {
    throw Error(ErrorCode::kInternal,
                fmt::format("azure writer for {} used after Close/Abort", client_.Uri(blob_)));
  }
}

void AzureBlockWriter::Write(ConstByteSpan src) {
  CheckOpen();
  try {
    while (!src.empty()) {
      size_t take = std::min(src.size(), buffer_size_ - buffer_.size());
      if (buffer_.capacity() < buffer_size_) buffer_.reserve(buffer_size_);
      buffer_.append(reinterpret_cast<const char*>(src.data()), take);
      src = src.subspan(take);
      if (buffer_.size() == buffer_size_) SubmitBlock();
    }
  } catch (...) {
    state_ = State::kFailed;
    if (tasks_) tasks_.reset();
    throw;
  }
}

void AzureBlockWriter::SubmitBlock() {
  // Ids of one blob must all have the same length: "walnut-XXXXXXXX-NNNNNNNNNN" before base64.
  std::string id = Base64Encode(fmt::format("walnut-{}-{:010}", id_prefix_, block_ids_.size()));
  block_ids_.push_back(id);
  std::string data = std::move(buffer_);
  buffer_ = std::string();
  if (!tasks_) {
    PutBlock(id, data, {});
    return;
  }
  tasks_->Submit([this, id = std::move(id), data = std::move(data)](std::stop_token stop) {
    PutBlock(id, data, stop);
  });
}

void AzureBlockWriter::PutBlock(const std::string& id, const std::string& data,
                                std::stop_token stop) {
  AzureCall call;
  call.op = "Put Block";
  call.method = "PUT";
  call.blob = blob_;
  call.query = {{"comp", "block"}, {"blockid", id}};
  call.body = AsBytes(data);
  call.ok_statuses = {201};
  call.stop = stop;
  client_.SendWithRetries(call);
  ++client_.stats().blocks_put;
}

net::HttpHeaders AzureBlockWriter::MetadataHeaders() const {
  net::HttpHeaders h;
  for (const auto& [name, value] : metadata_) {
    h.emplace_back(MetadataHeaderName(name), value);
  }
  if (late_) {
    for (const auto& [name, value] : late_->values) {
      h.emplace_back(MetadataHeaderName(name), value);
    }
  }
  return h;
}

void AzureBlockWriter::PutSingle() {
  AzureCall call;
  call.op = "Put Blob";
  call.method = "PUT";
  call.blob = blob_;
  call.headers = MetadataHeaders();
  call.headers.emplace_back("x-ms-blob-type", "BlockBlob");
  call.body = AsBytes(buffer_);
  call.ok_statuses = {201};
  client_.SendWithRetries(call);
  ++client_.stats().single_puts;
}

void AzureBlockWriter::CommitBlocks() {
  std::string body = BlockListXml(block_ids_);
  AzureCall call;
  call.op = "Put Block List";
  call.method = "PUT";
  call.blob = blob_;
  call.query = {{"comp", "blocklist"}};
  call.headers = MetadataHeaders();
  call.body = AsBytes(body);
  call.ok_statuses = {201};
  client_.SendWithRetries(call);
  ++client_.stats().block_lists;
}

void AzureBlockWriter::Close() {
  CheckOpen();
  try {
    if (block_ids_.empty()) {
      PutSingle();
    } else {
      if (!buffer_.empty()) SubmitBlock();
      if (tasks_) tasks_->Wait();
      CommitBlocks();
    }
  } catch (...) {
    state_ = State::kFailed;
    if (tasks_) tasks_.reset();
    throw;
  }
  if (late_) late_->kept = true;
  buffer_ = std::string();
  state_ = State::kClosed;
}

void AzureBlockWriter::Abort() noexcept {
  if (state_ == State::kClosed || state_ == State::kAborted) return;
  state_ = State::kAborted;
  // Stops and joins the block uploads; their blocks stay uncommitted, and Azure discards them.
  tasks_.reset();
  buffer_ = std::string();
}

}  // namespace walnut::azure
