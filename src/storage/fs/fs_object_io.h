#pragma once

#include <map>
#include <memory>
#include <string>

#include "io/writer.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/local_file_reader.h"
#include "storage/object_info.h"
#include "storage/storage_reader.h"

namespace walnut {

// An object of a directory storage being read: the file's bytes (LocalFileReader) and the
// metadata kept with it as extended attributes, read from the same open file. Not thread-safe.
class FsObjectReader final : public StorageReader {
 public:
  FsObjectReader(std::unique_ptr<LocalFileReader> bytes, std::map<std::string, std::string> metadata)
      : bytes_(std::move(bytes)), metadata_(std::move(metadata)) {}

  size_t Read(ByteSpan dst) override { return bytes_->Read(dst); }
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  std::unique_ptr<LocalFileReader> bytes_;
  std::map<std::string, std::string> metadata_;
};

// An object of a directory storage being written: an AtomicFileWriter that, at Close(), first
// sets the late metadata on the temporary file, so that the object and all its metadata appear
// together at the rename (and marks it kept when the file system could keep it). Not
// thread-safe.
class FsObjectWriter final : public Writer {
 public:
  // `path`: the object's final path, for messages.
  FsObjectWriter(std::unique_ptr<AtomicFileWriter> file, std::string path,
                 std::shared_ptr<LateMetadata> late);
  ~FsObjectWriter() override;

  void Write(ConstByteSpan src) override { file_->Write(src); }
  void Close() override;
  void Abort() noexcept override { file_->Abort(); }

 private:
  std::unique_ptr<AtomicFileWriter> file_;
  std::string path_;
  std::shared_ptr<LateMetadata> late_;
};

}  // namespace walnut
