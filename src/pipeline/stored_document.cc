#include "pipeline/stored_document.h"

#include <fmt/format.h>

#include "common/error.h"
#include "io/digest.h"
#include "pipeline/checksum_reader.h"
#include "pipeline/checksum_writer.h"
#include "pipeline/context_reader.h"

namespace walnut {
namespace {

std::string Describe(const Folder& folder, std::string_view name) {
  return fmt::format("{}/{}", folder.storage().Describe(), folder.Key(name));
}

UnverifiedObjectHandler OrDefault(const UnverifiedObjectHandler& handler) {
  return handler ? handler : UnverifiedObjectHandler(WarnUnverified);
}

}  // namespace

void PutDocument(const Folder& folder, std::string_view name, std::string_view content) {
  PutOptions put;
  put.size_hint = content.size();
  put.metadata[kContentSha256Metadata] = Digest::Of(AsBytes(content)).Hex();
  auto writer = folder.Put(name, put);
  writer->Write(AsBytes(content));
  writer->Close();
}

std::unique_ptr<UploadWriter> CreateDocument(const Folder& folder, std::string_view name) {
  auto late = std::make_shared<LateMetadata>();
  PutOptions put;
  put.late_metadata = late;
  auto writer =
      std::make_unique<ChecksumWriter>(folder.Put(name, put), late, kContentSha256Metadata);
  return std::make_unique<UploadWriter>(std::move(writer), kContentSha256Metadata, "",
                                        std::move(late));
}

std::unique_ptr<Reader> OpenDocument(const Folder& folder, std::string_view name,
                                     std::optional<std::string> expected,
                                     const UnverifiedObjectHandler& on_unverified) {
  std::string object = Describe(folder, name);
  std::unique_ptr<StorageReader> stored = folder.Get(name);
  if (!expected) {
    auto it = stored->metadata().find(kContentSha256Metadata);
    if (it != stored->metadata().end()) expected = it->second;
  }
  auto reader =
      std::make_unique<ChecksumReader>(std::move(stored), std::move(expected), object,
                                       OrDefault(on_unverified), std::string(kNoRecordedSha256));
  return std::make_unique<ContextReader>(std::move(reader), std::move(object));
}

std::string GetDocument(const Folder& folder, std::string_view name, size_t max_size,
                        const UnverifiedObjectHandler& on_unverified) {
  std::unique_ptr<Reader> reader = OpenDocument(folder, name, std::nullopt, on_unverified);
  std::string text;
  std::string chunk(64 << 10, '\0');
  while (size_t n = reader->Read(AsWritableBytes(chunk))) {
    text.append(chunk, 0, n);
    if (text.size() > max_size) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("{}: larger than {} MiB, not a document Walnut or WAL-G writes",
                              Describe(folder, name), max_size >> 20));
    }
  }
  return text;
}

}  // namespace walnut
