#include "pipeline/pipeline.h"

#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "concurrency/async_reader.h"
#include "concurrency/async_writer.h"
#include "pipeline/context_reader.h"

namespace walnut {

std::string WithExtension(std::string_view name, CompressionMethod method) {
  std::string_view ext = CodecFor(method).extension;
  if (ext.empty()) return std::string(name);
  return fmt::format("{}.{}", name, ext);
}

std::unique_ptr<Writer> MakeUploadWriter(const Folder& folder, std::string_view name,
                                         const PipelineOptions& options,
                                         const PutOptions& put_options) {
  std::unique_ptr<Writer> writer = folder.Put(name, put_options);
  if (options.crypter) writer = options.crypter->WrapEncrypt(std::move(writer));
  // Compression runs on the caller's thread; encryption and storage I/O on another, so that
  // two cores share the work (as zstd's own tool does with its I/O thread).
  writer = std::make_unique<AsyncWriter>(std::move(writer), options.stage_buffer_size != 0
                                                                ? options.stage_buffer_size
                                                                : AsyncWriter::kDefaultBufferSize);
  return GetCompressor(options.compression)
      .WrapWriter(std::move(writer), options.compression_options);
}

namespace {

// "lz4, lzma, zst and br": what the messages say Walnut reads.
std::string DecodableExtensions() {
  std::vector<std::string_view> extensions;
  for (const Codec& codec : Codecs()) {
    if (!codec.extension.empty()) extensions.push_back(codec.extension);
  }
  std::string text;
  for (size_t i = 0; i < extensions.size(); ++i) {
    if (i > 0) text += i + 1 == extensions.size() ? " and " : ", ";
    text += extensions[i];
  }
  return text;
}

}  // namespace

CompressionMethod CompressionFromObjectName(std::string_view name) {
  auto slash = name.rfind('/');
  std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto dot = base.rfind('.');
  if (dot == std::string_view::npos) return CompressionMethod::kNone;
  std::string_view ext = base.substr(dot + 1);
  if (auto method = CompressionMethodFromExtension(ext)) return *method;
  for (std::string_view undecodable : UndecodableExtensions()) {
    if (ext == undecodable) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{}: '.{}' compression is not supported; Walnut reads {} objects "
                              "(fetch this one with the tool that wrote it)",
                              name, ext, DecodableExtensions()));
    }
  }
  return CompressionMethod::kNone;
}

std::unique_ptr<Reader> MakeDownloadReader(const Folder& folder, std::string_view name,
                                           const PipelineOptions& options,
                                           const DownloadOptions& download) {
  CompressionMethod method =
      download.decompress ? CompressionFromObjectName(folder.Key(name)) : CompressionMethod::kNone;
  std::string context = fmt::format("{}/{}", folder.storage().Describe(), folder.Key(name));
  std::unique_ptr<Reader> reader = folder.Get(name);
  if (download.decrypt && options.crypter) {
    reader = options.crypter->WrapDecrypt(std::move(reader));
  }
  // Storage reads and decryption run ahead on another thread while the caller decompresses.
  reader = std::make_unique<AsyncReader>(std::move(reader));
  reader = GetCompressor(method).WrapReader(std::move(reader));
  return std::make_unique<ContextReader>(std::move(reader), std::move(context));
}

std::optional<FoundObject> FindCompressedObjectInfo(const Folder& folder,
                                                    std::string_view base_name,
                                                    CompressionMethod preferred) {
  auto probe = [&](CompressionMethod method) -> std::optional<FoundObject> {
    std::string name = WithExtension(base_name, method);
    if (auto info = folder.Stat(name)) return FoundObject{std::move(name), std::move(*info)};
    return std::nullopt;
  };
  if (auto found = probe(preferred)) return found;
  for (const Codec& codec : Codecs()) {  // WAL-G's probe order
    if (codec.method == preferred) continue;
    if (auto found = probe(codec.method)) return found;
  }
  return std::nullopt;
}

std::optional<std::string> FindCompressedObject(const Folder& folder, std::string_view base_name,
                                                CompressionMethod preferred) {
  auto found = FindCompressedObjectInfo(folder, base_name, preferred);
  if (!found) return std::nullopt;
  return std::move(found->name);
}

}  // namespace walnut
