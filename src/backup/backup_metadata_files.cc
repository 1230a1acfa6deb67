#include "backup/backup_metadata_files.h"

#include <algorithm>
#include <cctype>
#include <istream>
#include <limits>
#include <streambuf>

#include "backup/backup_metadata_json.h"
#include "common/error.h"
#include "common/excerpt.h"

namespace walnut {
namespace {

using metadata_json::Json;

constexpr size_t kFlushSize = 64 * 1024;

// Appends `text` as a JSON string. Plain ASCII (the usual path) is copied as is; anything else
// goes through nlohmann (escapes, and invalid UTF-8 replaced as Go does).
void AppendQuoted(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += text;
    out += '"';
  } else {
    out += metadata_json::Dump(Json(std::string(text)));
  }
}

void AppendBool(std::string& out, std::string_view name, bool value, bool comma = true) {
  if (comma) out += ',';
  out += '"';
  out += name;
  out += "\":";
  out += value ? "true" : "false";
}

template <class Int>
void AppendInt(std::string& out, std::string_view name, Int value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

// One "Files" value, fields in Go's struct order.
void AppendFileEntry(std::string& out, const BackupFileDescription& file) {
  out += '{';
  AppendBool(out, "IsIncremented", file.is_incremented, /*comma=*/false);
  AppendBool(out, "IsSkipped", file.is_skipped);
  out += ",\"MTime\":\"";
  out += FormatRfc3339Nano(file.mtime);
  out += '"';
  if (file.corrupt_blocks) {
    out += ",\"CorruptBlocks\":{\"CorruptBlocksCount\":";
    out += std::to_string(file.corrupt_blocks->count);
    out += ",\"SomeCorruptBlocks\":[";
    for (size_t i = 0; i < file.corrupt_blocks->some_blocks.size(); ++i) {
      if (i != 0) out += ',';
      out += std::to_string(file.corrupt_blocks->some_blocks[i]);
    }
    out += "]}";
  }
  AppendInt(out, "UpdatesCount", file.updates_count);
  if (file.size) AppendInt(out, "Size", *file.size);
  if (!file.sha256.empty()) {
    out += ",\"Sha256\":";
    AppendQuoted(out, file.sha256);
  }
  out += '}';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// nlohmann's messages quote the token where parsing stopped, which may be long and binary.
constexpr size_t kMaxParserMessage = 160;

// A std::streambuf over a Reader, for nlohmann's SAX parser. Reader errors propagate as thrown.
class ReaderStreamBuf : public std::streambuf {
 public:
  explicit ReaderStreamBuf(Reader& in) : in_(in), buffer_(64 * 1024) {}

 protected:
  int_type underflow() override {
    size_t n = in_.Read(ByteSpan(reinterpret_cast<std::byte*>(buffer_.data()), buffer_.size()));
    if (n == 0) return traits_type::eof();
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(buffer_[0]);
  }

 private:
  Reader& in_;
  std::vector<char> buffer_;
};

// Turns the parser's events into FilesMetadataVisitor calls, holding one entry at a time.
class FilesMetadataSax {
 public:
  FilesMetadataSax(std::string_view object_key, const FilesMetadataVisitor& visitor)
      : object_key_(object_key), visitor_(visitor) {}

  bool null() { return Scalar(Json()); }
  bool boolean(bool value) { return Scalar(Json(value)); }
  bool number_integer(int64_t value) { return Scalar(Json(value)); }
  bool number_unsigned(uint64_t value) { return Scalar(Json(value)); }
  bool number_float(double value, const std::string& /*text*/) { return Scalar(Json(value)); }
  bool string(std::string& value) { return Scalar(Json(std::move(value))); }
  bool binary(nlohmann::json::binary_t& /*value*/) { return Scalar(Json()); }

  bool key(std::string& name) {
    stack_.back().key = std::move(name);
    return true;
  }

  bool start_object(std::size_t /*elements*/) { return Open(/*is_object=*/true); }
  bool start_array(std::size_t /*elements*/) { return Open(/*is_object=*/false); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool parse_error(std::size_t position, const std::string& /*token*/,
                   const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kCorruption, object_key_ + ": invalid JSON at byte " +
                                            std::to_string(position) + ": " +
                                            Excerpt(e.what(), kMaxParserMessage));
  }

 private:
  enum class Kind {
    kTop,
    kFiles,
    kFile,
    kCorrupt,
    kCorruptList,
    kTarSets,
    kTarList,
    kSkip,
    kCapture
  };
  struct Frame {
    Kind kind;
    std::string key;  // the last key read in this object
    Json* capture = nullptr;
  };
  static constexpr size_t kMaxCaptureDepth = 64;

  [[noreturn]] void Fail(std::string_view what) const {
    throw Error(ErrorCode::kCorruption, object_key_ + ": " + std::string(what));
  }
  [[noreturn]] void FailField(std::string_view what) const {
    Fail("file \"" + Excerpt(path_) + "\": field \"" + Excerpt(stack_.back().key) + "\" " +
         std::string(what));
  }

  bool KeyIs(std::string_view name) const { return EqualsIgnoreCase(stack_.back().key, name); }

  bool Open(bool is_object) {
    if (stack_.empty()) {
      if (!is_object) Fail("expected a JSON object at the top level");
      stack_.push_back({Kind::kTop, {}, nullptr});
      return true;
    }
    Frame& top = stack_.back();
    Kind next = Kind::kSkip;
    switch (top.kind) {
      case Kind::kTop:
        if (KeyIs("Files") || KeyIs("TarFileSets")) {
          if (!is_object) Fail("\"" + Excerpt(top.key) + "\" must be an object");
          next = KeyIs("Files") ? Kind::kFiles : Kind::kTarSets;
        } else if (KeyIs("DatabasesByNames")) {
          capture_ = is_object ? Json::object() : Json::array();
          stack_.push_back({Kind::kCapture, {}, &capture_});
          return true;
        }
        break;
      case Kind::kFiles:
        if (!is_object) Fail("file \"" + Excerpt(top.key) + "\": expected an object");
        path_ = top.key;
        file_ = BackupFileDescription{};
        next = Kind::kFile;
        break;
      case Kind::kFile:
        if (KeyIs("CorruptBlocks")) {
          file_.corrupt_blocks.emplace();
          next = is_object ? Kind::kCorrupt : Kind::kCorruptList;  // older WAL-G: a plain list
        }
        break;
      case Kind::kCorrupt:
        if (KeyIs("SomeCorruptBlocks")) {
          if (is_object) FailField("must be a list of block numbers");
          next = Kind::kCorruptList;
        }
        break;
      case Kind::kCorruptList:
        Fail("file \"" + Excerpt(path_) + "\": corrupt block numbers must be numbers");
      case Kind::kTarSets:
        if (is_object) Fail("tar \"" + Excerpt(top.key) + "\": expected a list of paths");
        tar_name_ = top.key;
        tar_paths_.clear();
        next = Kind::kTarList;
        break;
      case Kind::kTarList:
        Fail("tar \"" + Excerpt(tar_name_) + "\": paths must be strings");
      case Kind::kSkip:
        break;
      case Kind::kCapture: {
        if (stack_.size() > kMaxCaptureDepth) Fail("\"DatabasesByNames\" is nested too deep");
        Json* child = AddCaptured(top, is_object ? Json::object() : Json::array());
        stack_.push_back({Kind::kCapture, {}, child});
        return true;
      }
    }
    stack_.push_back({next, {}, nullptr});
    return true;
  }

  bool Close() {
    const Kind kind = stack_.back().kind;
    stack_.pop_back();
    if (kind == Kind::kFile) {
      if (visitor_.on_file) visitor_.on_file(path_, file_);
    } else if (kind == Kind::kTarList) {
      if (visitor_.on_tar_file_set) visitor_.on_tar_file_set(tar_name_, tar_paths_);
    } else if (kind == Kind::kCorruptList && stack_.back().kind == Kind::kFile) {
      file_.corrupt_blocks->count = static_cast<int64_t>(file_.corrupt_blocks->some_blocks.size());
    } else if (kind == Kind::kCapture && stack_.back().kind != Kind::kCapture) {
      if (visitor_.on_databases_by_names)
        visitor_.on_databases_by_names(metadata_json::Dump(capture_));
      capture_ = Json();
    }
    return true;
  }

  Json* AddCaptured(Frame& parent, Json value) {
    Json& container = *parent.capture;
    if (container.is_object()) {
      container[parent.key] = std::move(value);
      return &container[parent.key];
    }
    container.push_back(std::move(value));
    return &container.back();
  }

  bool Scalar(Json value) {
    if (stack_.empty()) Fail("expected a JSON object at the top level");
    Frame& top = stack_.back();
    switch (top.kind) {
      case Kind::kTop:
        if ((KeyIs("Files") || KeyIs("TarFileSets")) && !value.is_null()) {
          Fail("\"" + Excerpt(top.key) + "\" must be an object");
        }
        break;
      case Kind::kFiles:
        Fail("file \"" + Excerpt(top.key) + "\": expected an object");
      case Kind::kFile:
        FileField(value);
        break;
      case Kind::kCorrupt:
        if (KeyIs("CorruptBlocksCount") && !value.is_null())
          file_.corrupt_blocks->count = Int(value);
        break;
      case Kind::kCorruptList: {
        const int64_t block = Int(value);
        if (block < 0 || block > std::numeric_limits<uint32_t>::max()) {
          Fail("file \"" + Excerpt(path_) + "\": corrupt block number out of range");
        }
        file_.corrupt_blocks->some_blocks.push_back(static_cast<uint32_t>(block));
        break;
      }
      case Kind::kTarSets:
        if (!value.is_null()) Fail("tar \"" + Excerpt(top.key) + "\": expected a list of paths");
        if (visitor_.on_tar_file_set) visitor_.on_tar_file_set(top.key, {});
        break;
      case Kind::kTarList:
        if (!value.is_string()) Fail("tar \"" + Excerpt(tar_name_) + "\": paths must be strings");
        tar_paths_.push_back(value.get<std::string>());
        break;
      case Kind::kSkip:
        break;
      case Kind::kCapture:
        AddCaptured(top, std::move(value));
        break;
    }
    return true;
  }

  int64_t Int(const Json& value) const {
    if (value.is_number_integer() && (!value.is_number_unsigned() ||
                                      value.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX))) {
      return value.get<int64_t>();
    }
    FailField("must be an integer, found " + metadata_json::Dump(value));
  }

  void FileField(const Json& value) {
    if (value.is_null()) return;  // Go leaves the field at its zero value
    if (KeyIs("IsIncremented") || KeyIs("IsSkipped")) {
      if (!value.is_boolean()) FailField("must be true or false");
      (KeyIs("IsSkipped") ? file_.is_skipped : file_.is_incremented) = value.get<bool>();
    } else if (KeyIs("MTime")) {
      auto t = value.is_string() ? ParseRfc3339(value.get<std::string>()) : std::nullopt;
      if (!t) FailField("is not an RFC 3339 time: " + metadata_json::Dump(value));
      file_.mtime = *t;
    } else if (KeyIs("UpdatesCount")) {
      if (!value.is_number_unsigned() &&
          !(value.is_number_integer() && value.get<int64_t>() >= 0)) {
        FailField("must be an unsigned integer");
      }
      file_.updates_count = value.get<uint64_t>();
    } else if (KeyIs("Size")) {
      file_.size = Int(value);
    } else if (KeyIs("Sha256")) {
      if (!value.is_string()) FailField("must be a string");
      file_.sha256 = value.get<std::string>();
    }
  }

  std::string object_key_;
  const FilesMetadataVisitor& visitor_;
  std::vector<Frame> stack_;
  std::string path_;
  BackupFileDescription file_;
  std::string tar_name_;
  std::vector<std::string> tar_paths_;
  Json capture_;
};

}  // namespace

FilesMetadataWriter::FilesMetadataWriter(Writer& out) : out_(out) { Append("{\"Files\":{"); }

void FilesMetadataWriter::AddFile(std::string_view path, const BackupFileDescription& file) {
  if (section_ != Section::kFiles) {
    throw Error(ErrorCode::kInternal, "files metadata: a file added after the tar file sets");
  }
  if (!first_in_section_) buffer_ += ',';
  first_in_section_ = false;
  AppendQuoted(buffer_, path);
  buffer_ += ':';
  AppendFileEntry(buffer_, file);
  if (buffer_.size() >= kFlushSize) Flush();
}

void FilesMetadataWriter::EnterTarFileSets() {
  if (section_ == Section::kFiles) {
    Append("},\"TarFileSets\":{");
    section_ = Section::kTarFileSets;
    first_in_section_ = true;
  }
  if (section_ != Section::kTarFileSets) {
    throw Error(ErrorCode::kInternal, "files metadata: a tar file set added after the end");
  }
}

void FilesMetadataWriter::AddTarFileSet(std::string_view tar_name,
                                        std::span<const std::string> paths) {
  EnterTarFileSets();
  if (!first_in_section_) buffer_ += ',';
  first_in_section_ = false;
  AppendQuoted(buffer_, tar_name);
  buffer_ += ":[";
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i != 0) buffer_ += ',';
    AppendQuoted(buffer_, paths[i]);
    if (buffer_.size() >= kFlushSize) Flush();
  }
  buffer_ += ']';
  if (buffer_.size() >= kFlushSize) Flush();
}

void FilesMetadataWriter::SetDatabasesByNames(std::string_view json) {
  Json value = metadata_json::ParseRaw(json, "DatabasesByNames");
  EnterTarFileSets();
  Append("}");
  section_ = Section::kDone;
  if (!value.is_null()) {
    Append(",\"DatabasesByNames\":");
    Append(metadata_json::Dump(value));
  }
}

void FilesMetadataWriter::Finish() {
  if (section_ != Section::kDone) {
    EnterTarFileSets();
    Append("}");
    section_ = Section::kDone;
  }
  Append("}");
  Flush();
}

void FilesMetadataWriter::Append(std::string_view text) {
  buffer_.append(text);
  if (buffer_.size() >= kFlushSize) Flush();
}

void FilesMetadataWriter::Flush() {
  if (buffer_.empty()) return;
  out_.Write(ConstByteSpan(reinterpret_cast<const std::byte*>(buffer_.data()), buffer_.size()));
  buffer_.clear();
}

void ReadFilesMetadata(Reader& in, std::string_view object_key,
                       const FilesMetadataVisitor& visitor) {
  ReaderStreamBuf buf(in);
  std::istream stream(&buf);
  FilesMetadataSax sax(object_key, visitor);
  nlohmann::json::sax_parse(stream, &sax, nlohmann::json::input_format_t::json, /*strict=*/true);
}

FilesMetadataVisitor CollectFilesMetadata(FilesMetadata& out) {
  FilesMetadataVisitor visitor;
  visitor.on_file = [&out](const std::string& path, const BackupFileDescription& file) {
    out.files[path] = file;
  };
  visitor.on_tar_file_set = [&out](const std::string& tar, const std::vector<std::string>& paths) {
    out.tar_file_sets[tar] = paths;
  };
  visitor.on_databases_by_names = [&out](const std::string& json) {
    out.databases_by_names = json;
  };
  return visitor;
}

FilesMetadata ReadFilesMetadata(Reader& in, std::string_view object_key) {
  FilesMetadata result;
  ReadFilesMetadata(in, object_key, CollectFilesMetadata(result));
  return result;
}

void WriteFilesMetadata(const FilesMetadata& metadata, Writer& out) {
  FilesMetadataWriter writer(out);
  for (const auto& [path, file] : metadata.files) writer.AddFile(path, file);
  for (const auto& [tar, paths] : metadata.tar_file_sets) writer.AddTarFileSet(tar, paths);
  if (!metadata.databases_by_names.empty()) writer.SetDatabasesByNames(metadata.databases_by_names);
  writer.Finish();
}

}  // namespace walnut
