#include "storage/fs/fs_object_io.h"

#include "localfs/file_metadata.h"

namespace walnut {

FsObjectWriter::FsObjectWriter(std::unique_ptr<AtomicFileWriter> file, std::string path,
                               std::shared_ptr<LateMetadata> late)
    : file_(std::move(file)), path_(std::move(path)), late_(std::move(late)) {}

// The AtomicFileWriter aborts by itself when it was not closed.
FsObjectWriter::~FsObjectWriter() = default;

void FsObjectWriter::Close() {
  if (late_ && !late_->values.empty()) {
    try {
      late_->kept = WriteFileMetadata(file_->file().fd(), path_, late_->values);
    } catch (...) {
      file_->Abort();
      throw;
    }
  }
  file_->Close();
}

}  // namespace walnut
