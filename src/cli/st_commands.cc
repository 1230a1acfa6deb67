#include "cli/st_commands.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include "cli/stop_signals.h"
#include "cli/text_table.h"
#include "cli/transfer_commands.h"
#include "common/error.h"
#include "common/logging.h"
#include "concurrency/async_writer.h"
#include "io/copy.h"
#include "io/digest.h"
#include "io/fd_stream.h"
#include "io/hashing_reader.h"
#include "localfs/atomic_file_writer.h"
#include "localfs/local_file_reader.h"
#include "observe/storage_probe.h"
#include "storage/versions.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

// lz4 compresses whole 4 MiB blocks in place when handed them whole; smaller pieces are copied
// into its block buffer first (measured: ~12% of st put's time).
constexpr size_t kStreamChunkSize = 4 << 20;

// Go's time.Time String() form, which WAL-G's `st ls` prints: "2006-01-02 15:04:05.999999999 +0000
// UTC".
std::string GoTimeString(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return "0001-01-01 00:00:00 +0000 UTC";
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t - secs).count();
  std::string out =
      fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(std::chrono::system_clock::to_time_t(secs)));
  if (nanos != 0) {
    std::string frac = fmt::format("{:09d}", nanos);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + " +0000 UTC";
}

int List(CommandContext& context, const std::string& path, bool recursive) {
  Folder folder = path.empty() ? context.root() : context.root().Sub(path);
  std::vector<std::vector<std::string>> rows{{"type", "size", "last modified", "name"}};
  folder.List("", ListOptions{.recursive = recursive}, [&](const ObjectInfo& info) {
    rows.push_back(
        {info.is_prefix ? "dir" : "obj", std::to_string(info.size),
         GoTimeString(info.is_prefix ? std::chrono::system_clock::time_point{} : info.mtime),
         info.key});
  });
  std::string table = TabbedTable(rows);
  std::fwrite(table.data(), 1, table.size(), stdout);
  // Temporary files of unfinished uploads (a directory storage's hidden ".<name>.walnut-tmp-..."
  // files, left by a killed upload) are said to exist on stderr rather than listed: the table
  // stays what WAL-G prints, which scripts parse, while an operator wondering where the space
  // went learns of them and of what removes them.
  uint64_t count = 0;
  uint64_t bytes = 0;
  folder.ListTemporaryFiles("", ListOptions{.recursive = recursive}, [&](const ObjectInfo& info) {
    ++count;
    bytes += info.size;
  });
  if (count > 0) {
    spdlog::warn(
        "{} also holds {} temporary file(s) ({} bytes) of uploads in progress or killed: "
        "'walnut delete garbage' removes those older than WALNUT_DELETE_PENDING_AGE",
        path.empty() ? "the storage root" : path, count, bytes);
  }
  return 0;
}

// Strips the compression extension that `st put` added, for naming a downloaded file.
std::string LocalNameFor(const std::string& object_path, bool decompress) {
  std::string name = fs::path(object_path).filename().string();
  if (decompress && CompressionFromObjectName(name) != CompressionMethod::kNone) {
    name = fs::path(name).stem().string();
  }
  return name;
}

int Get(CommandContext& context, const std::string& object_path, const std::string& destination,
        const DownloadOptions& download) {
  std::string target = destination;
  LocalFs& local = LocalFs::Default();
  FileStat st;
  if (local.Stat(destination, st, /*follow_links=*/true) == 0 && st.type == FileType::kDirectory) {
    target = (fs::path(destination) / LocalNameFor(object_path, download.decompress)).string();
  }
  // WAL-G opens the destination with O_EXCL: an existing file is never overwritten.
  if (local.Stat(target, st, /*follow_links=*/false) == 0) {
    throw Error(ErrorCode::kAlreadyExists,
                fmt::format("{} already exists; remove it or choose another destination", target));
  }
  auto reader = MakeDownloadReader(context.root(), object_path, context.pipeline(), download);
  // The file appears under its name only once complete and synced. Writing it runs on a thread
  // of its own while this one decompresses.
  AsyncWriter writer(AtomicFileWriter::Create(local, target));
  Copy(*reader, writer, kStreamChunkSize);
  writer.Close();
  spdlog::info("downloaded {} to {}", object_path, target);
  return 0;
}

int Cat(CommandContext& context, const std::string& object_path, const DownloadOptions& download) {
  auto reader = MakeDownloadReader(context.root(), object_path, context.pipeline(), download);
  FdWriter out(STDOUT_FILENO, "standard output");
  Copy(*reader, out, kStreamChunkSize);
  return 0;
}

// Hashes a local file for its first-byte metadata (see Put). Throws kCancelled once a stop signal
// arrived.
Digest DigestOfFile(LocalFs& local, const std::string& path) {
  auto reader = OpenFileReader(local, path);
  std::vector<std::byte> buffer(256 << 10);  // small: freed memory is not always returned
  Sha256Hasher hasher;
  while (size_t n = reader->Read(buffer)) {
    if (StopSignals::Requested()) throw Error(ErrorCode::kCancelled, "st put interrupted");
    hasher.Update(ConstByteSpan(buffer.data(), n));
  }
  return hasher.Finish();
}

// `st put`'s source: a local file, or standard input (-s/--read-stdin, or "-" as the path).
struct PutSource {
  std::string local_path;  // "-": standard input
  bool from_stdin() const { return local_path == "-"; }
};

// Copies all of `reader` into `writer` in whole kStreamChunkSize pieces (a pipe delivers 64 KiB
// per read; the compressors work best on whole blocks). Throws kCancelled between pieces once a
// stop signal arrived.
uint64_t CopyInChunks(Reader& reader, Writer& writer) {
  std::vector<std::byte> buffer(kStreamChunkSize);
  uint64_t total = 0;
  while (size_t n = ReadFull(reader, buffer)) {
    if (StopSignals::Requested()) throw Error(ErrorCode::kCancelled, "st put interrupted");
    writer.Write(ConstByteSpan(buffer.data(), n));
    total += n;
    if (n < buffer.size()) break;
  }
  return total;
}

int Put(CommandContext& context, const PutSource& source, const std::string& destination,
        bool compress, bool encrypt, bool force) {
  PipelineOptions options = context.pipeline();
  if (!compress) options.compression = CompressionMethod::kNone;
  if (!encrypt) options.crypter.reset();
  std::string object = WithExtension(destination, options.compression);

  LocalFs& local = LocalFs::Default();
  FileStat st;  // of the local file; unknown type for standard input or a file that stat fails on
  if (!source.from_stdin() && local.Stat(source.local_path, st, /*follow_links=*/true) != 0) {
    st = FileStat();
  }
  if (st.type == FileType::kDirectory) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is a directory; st put uploads one file", source.local_path));
  }
  if (!force && context.root().Stat(object)) {
    throw Error(ErrorCode::kAlreadyExists,
                fmt::format("object {} already exists; add -f to overwrite it", object));
  }
  // A signal (Ctrl-C, or the pipeline's producer and this process stopped together) aborts the
  // upload: nothing is stored, rather than the part read so far under the full name.
  StopSignals signals;
  // The object's SHA-256: of the stored bytes, hashed in the one pass on the thread that writes
  // them and kept at the end, where the storage can (a directory). S3 takes metadata only with
  // the first byte, so there a regular file is hashed first and its upload's own read must give
  // the same digest (a file changed in between would be stored under a wrong one).
  PutOptions put;
  ChecksumOf checksum = ChecksumOf::kStoredBytes;
  std::optional<Digest> first_read;
  if (!source.from_stdin() && st.type == FileType::kRegular &&
      !context.root().storage().Supports(StorageFeature::kLateMetadata)) {
    first_read = DigestOfFile(local, source.local_path);
    put.metadata[kContentSha256Metadata] = first_read->Hex();
    checksum = ChecksumOf::kContent;
  }
  std::unique_ptr<Reader> reader;
  if (source.from_stdin()) {
    reader = std::make_unique<FdReader>(STDIN_FILENO, "standard input", &StopSignals::Flag());
  } else {
    reader = OpenFileReader(local, source.local_path);
  }
  auto second_read = std::make_shared<DigestResult>();
  if (first_read) reader = std::make_unique<HashingReader>(std::move(reader), second_read);
  auto writer = MakeUploadWriter(context.root(), object, options, put, checksum);
  const std::string interrupted =
      fmt::format("st put was interrupted by a signal while reading {}: nothing was stored at {}",
                  source.from_stdin() ? "standard input" : source.local_path, object);
  uint64_t bytes = 0;
  try {
    bytes = CopyInChunks(*reader, *writer);
  } catch (const Error&) {
    writer.reset();  // a writer destroyed unclosed aborts: no object, no temporary left
    if (StopSignals::Requested()) throw Error(ErrorCode::kCancelled, interrupted);
    throw;
  }
  // The end of a pipe looks the same whether the producer finished or was killed; a signal this
  // process got meanwhile is the one sign of the latter it can see.
  if (StopSignals::Requested()) {
    writer.reset();
    throw Error(ErrorCode::kCancelled, interrupted);
  }
  if (first_read && (!second_read->ready() || second_read->get() != *first_read)) {
    writer.reset();
    throw Error(ErrorCode::kCorruption,
                fmt::format("{} changed while it was being uploaded; nothing was stored",
                            source.local_path));
  }
  writer->Close();
  if (!writer->sha256_kept()) {
    spdlog::warn(
        "{}: stored without its SHA-256 (the storage takes metadata only before the first byte "
        "of a large upload, and a stream cannot be read twice), so reads cannot verify it; "
        "upload from a regular file to have it recorded",
        object);
  }
  spdlog::info("uploaded {} ({} bytes) to {}",
               source.from_stdin() ? "standard input" : source.local_path, bytes, object);
  return 0;
}

// WAL-G's argument rules: `put local_path destination_path`, or `put -s destination_path`.
PutSource CheckPutArguments(bool read_stdin, const std::string& first, std::string& second) {
  if (read_stdin) {
    if (!second.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "st put --read-stdin takes one argument, the destination path (the data comes "
                  "from standard input)");
    }
    second = first;
    return PutSource{"-"};
  }
  if (second.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "st put needs a local path and a destination path (or -s/--read-stdin and the "
                "destination path)");
  }
  return PutSource{first};
}

// st ls --all-versions: every version and delete marker below the path, at any depth.
int ListVersions(CommandContext& context, const std::string& path) {
  Folder folder = path.empty() ? context.root() : context.root().Sub(path);
  std::vector<std::vector<std::string>> rows{
      {"type", "size", "last modified", "version id", "latest", "name"}};
  folder.ListVersions("", [&](const ObjectVersion& v) {
    rows.push_back({v.is_delete_marker ? "marker" : "obj", std::to_string(v.size),
                    GoTimeString(v.mtime), v.version_id, v.is_latest ? "yes" : "no", v.key});
  });
  std::string table = TabbedTable(rows);
  std::fwrite(table.data(), 1, table.size(), stdout);
  return 0;
}

struct RemoveArgs {
  std::string prefix;
  bool all_versions = false;
  std::string version_id;
};

int RemoveVersions(CommandContext& context, const RemoveArgs& args) {
  if (!args.version_id.empty()) {
    DeleteOneVersion(context.root(), args.prefix, args.version_id);
    spdlog::info("removed version {} of '{}'", args.version_id, args.prefix);
    return 0;
  }
  uint64_t count = DeleteAllVersions(context.root(), args.prefix);
  spdlog::info("removed {} version(s) under '{}'", count, args.prefix);
  return 0;
}

int Remove(CommandContext& context, const std::string& prefix) {
  std::vector<std::string> keys;
  context.root().List(prefix, ListOptions{.recursive = true},
                      [&](const ObjectInfo& info) { keys.push_back(info.key); });
  if (keys.empty()) {
    throw Error(ErrorCode::kNotFound, fmt::format("object or folder '{}' does not exist", prefix));
  }
  context.root().Delete(keys);
  spdlog::info("removed {} object(s) under '{}'", keys.size(), prefix);
  return 0;
}

int Stat(CommandContext& context, const std::string& object) {
  std::optional<ObjectInfo> info = context.root().Stat(object);
  if (!info) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("{}: no such object in {}", object, context.root().storage().Describe()));
  }
  std::vector<std::vector<std::string>> rows{{"type", "size", "last modified", "name"},
                                             {"obj", std::to_string(info->size),
                                              GoTimeString(info->mtime), object}};
  const std::string out = TabbedTable(rows);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int CheckRead(CommandContext& context, const std::vector<std::string>& names) {
  context.root().List("", ListOptions{.recursive = false}, [](const ObjectInfo&) {});
  std::vector<std::string> missing;
  for (const auto& name : names) {
    if (!context.root().Stat(name)) missing.push_back(name);
  }
  if (!missing.empty()) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("files are missing: {}", fmt::join(missing, ", ")));
  }
  spdlog::info("Read check OK");
  return 0;
}

int CheckWrite(CommandContext& context) {
  observe::ProbeStorageWrite(context.root());
  spdlog::info("Write check OK");
  return 0;
}

}  // namespace

void AddStorageToolCommands(CLI::App& app, CommandContext& context, CommandAction& action) {
  CLI::App* st = app.add_subcommand("st", "Storage tools: inspect and change the storage directly");
  st->require_subcommand(1);
  // As WAL-G's st: the primary unless -t names a failover storage, or 'all' for every storage
  // found alive, merged.
  st->preparse_callback([&context](size_t) { context.set_target_storage("default"); });
  // -t is WAL-G's persistent flag: given after the subcommand (st put -t spare ...) too.
  st->fallthrough();
  st->add_option_function<std::string>(
      "-t,--target", [&context](const std::string& name) { context.set_target_storage(name); },
      "Storage to use: 'default' (the primary), a failover storage's name, or 'all'");

  {
    auto* ls = st->add_subcommand("ls", "Print the objects in a storage folder");
    auto path = std::make_shared<std::string>();
    auto recursive = std::make_shared<bool>(false);
    auto all_versions = std::make_shared<bool>(false);
    ls->add_option("path", *path, "Folder, relative to the storage root");
    ls->add_flag("-r,--recursive", *recursive, "List the folder recursively");
    ls->add_flag("--all-versions", *all_versions,
                 "List every version and delete marker below the folder, at any depth (S3)");
    ls->callback([&, path, recursive, all_versions] {
      action = [&, path, recursive, all_versions] {
        return *all_versions ? ListVersions(context, *path) : List(context, *path, *recursive);
      };
    });
  }
  {
    auto* get = st->add_subcommand("get", "Download an object, decrypting and decompressing it");
    auto object = std::make_shared<std::string>();
    auto dst = std::make_shared<std::string>();
    auto no_decrypt = std::make_shared<bool>(false);
    auto no_decompress = std::make_shared<bool>(false);
    get->add_option("object_path", *object, "Object, relative to the storage root")->required();
    get->add_option("destination_path", *dst, "Local file (or directory) to create")->required();
    get->add_flag("--no-decrypt", *no_decrypt, "Do not decrypt the object");
    get->add_flag("--no-decompress", *no_decompress, "Do not decompress the object");
    get->callback([&, object, dst, no_decrypt, no_decompress] {
      action = [&, object, dst, no_decrypt, no_decompress] {
        return Get(context, *object, *dst,
                   DownloadOptions{.decrypt = !*no_decrypt, .decompress = !*no_decompress});
      };
    });
  }
  {
    auto* cat = st->add_subcommand("cat", "Print an object's stored bytes to standard output");
    auto object = std::make_shared<std::string>();
    auto decrypt = std::make_shared<bool>(false);
    auto decompress = std::make_shared<bool>(false);
    cat->add_option("object_path", *object, "Object, relative to the storage root")->required();
    cat->add_flag("--decrypt", *decrypt, "Decrypt the object");
    cat->add_flag("--decompress", *decompress, "Decompress the object");
    cat->callback([&, object, decrypt, decompress] {
      action = [&, object, decrypt, decompress] {
        return Cat(context, *object,
                   DownloadOptions{.decrypt = *decrypt, .decompress = *decompress});
      };
    });
  }
  {
    auto* put = st->add_subcommand("put", "Upload a file, compressing and encrypting it");
    auto first = std::make_shared<std::string>();
    auto second = std::make_shared<std::string>();
    auto no_encrypt = std::make_shared<bool>(false);
    auto no_compress = std::make_shared<bool>(false);
    auto force = std::make_shared<bool>(false);
    auto read_stdin = std::make_shared<bool>(false);
    put->add_option("local_path", *first,
                    "File to upload ('-' for standard input); with -s, the destination path")
        ->required();
    put->add_option("destination_path", *second,
                    "Object path; the compression extension is appended");
    put->add_flag("--no-encrypt", *no_encrypt, "Do not encrypt the object");
    put->add_flag("--no-compress", *no_compress, "Do not compress the object");
    put->add_flag("-f,--force", *force, "Overwrite the existing object");
    put->add_flag("-s,--read-stdin", *read_stdin,
                  "Upload standard input (streamed; nothing is stored if interrupted)");
    put->callback([&, first, second, no_encrypt, no_compress, force, read_stdin] {
      action = [&, first, second, no_encrypt, no_compress, force, read_stdin] {
        std::string destination = *second;
        PutSource source = CheckPutArguments(*read_stdin, *first, destination);
        return Put(context, source, destination, !*no_compress, !*no_encrypt, *force);
      };
    });
  }
  {
    auto* rm = st->add_subcommand("rm", "Remove an object or a whole folder");
    auto args = std::make_shared<RemoveArgs>();
    rm->add_option("prefix", args->prefix, "Object or folder, relative to the storage root")
        ->required();
    auto* all = rm->add_flag("--all-versions", args->all_versions,
                             "Remove every version and delete marker of the objects (S3)");
    rm->add_option("--version-id", args->version_id, "Remove only this version of the object (S3)")
        ->excludes(all);
    rm->callback([&, args] {
      action = [&, args] {
        if (args->all_versions || !args->version_id.empty()) return RemoveVersions(context, *args);
        return Remove(context, args->prefix);
      };
    });
  }
  {
    auto* stat = st->add_subcommand(
        "stat", "Print one object's type, size and time as st ls does, with one request");
    auto object = std::make_shared<std::string>();
    stat->add_option("object_path", *object, "Object, relative to the storage root")->required();
    stat->callback([&, object] { action = [&, object] { return Stat(context, *object); }; });
  }
  AddStorageTransferCommands(*st, context, action);
  {
    auto* check = st->add_subcommand("check", "Check access to the storage");
    check->require_subcommand(1);
    auto* read = check->add_subcommand("read", "Check read access (and that the files exist)");
    auto names = std::make_shared<std::vector<std::string>>();
    read->add_option("filenames", *names, "Objects that must exist");
    read->callback([&, names] { action = [&, names] { return CheckRead(context, *names); }; });
    auto* write = check->add_subcommand("write", "Check write access");
    write->callback([&] { action = [&] { return CheckWrite(context); }; });
  }
}

}  // namespace walnut
