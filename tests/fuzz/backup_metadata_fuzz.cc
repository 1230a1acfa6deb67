// The backup documents read from storage (sentinel, metadata.json, files_metadata.json, a
// --restore-spec file) must either parse or throw walnut::Error: never crash, hang or throw
// anything else. What parses must survive a write and a second read unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "backup/backup_metadata.h"
#include "common/error.h"
#include "io/memory_stream.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void Sentinel(std::string_view text) {
  walnut::BackupSentinel s;
  try {
    s = walnut::ParseBackupSentinel(text, "sentinel");
  } catch (const walnut::Error&) {
    return;
  }
  walnut::BackupSentinel again =
      walnut::ParseBackupSentinel(walnut::SerializeBackupSentinel(s), "again");
  again.has_embedded_files =
      s.has_embedded_files;  // not written back (the file list lives elsewhere)
  Check(again == s);
}

void Metadata(std::string_view text) {
  walnut::ExtendedMetadata m;
  try {
    m = walnut::ParseExtendedMetadata(text, "metadata");
  } catch (const walnut::Error&) {
    return;
  }
  Check(walnut::ParseExtendedMetadata(walnut::SerializeExtendedMetadata(m), "again") == m);
}

void Spec(std::string_view text) {
  try {
    walnut::TablespaceSpec spec = walnut::ParseTablespaceSpec(text, "spec");
    Check(walnut::ParseTablespaceSpec(walnut::SerializeTablespaceSpec(spec), "again") == spec);
  } catch (const walnut::Error&) {
  }
}

void Files(std::string_view text) {
  walnut::FilesMetadata files;
  try {
    walnut::MemoryReader reader{std::string(text)};
    files = walnut::ReadFilesMetadata(reader, "files");
  } catch (const walnut::Error&) {
    return;
  }
  walnut::MemoryWriter out;
  walnut::WriteFilesMetadata(files, out);
  walnut::MemoryReader again{out.data()};
  walnut::FilesMetadata reread = walnut::ReadFilesMetadata(again, "again");
  // DatabasesByNames is kept as raw JSON: compare it after one normalising round.
  reread.databases_by_names = files.databases_by_names;
  Check(reread == files);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the document; the rest is its text.
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      Sentinel(text);
      break;
    case 1:
      Metadata(text);
      break;
    case 2:
      Spec(text);
      break;
    default:
      Files(text);
      break;
  }
  return 0;
}
