#include "backup/backup_metadata_files.h"

#include <algorithm>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/memory_stream.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ExpectError;

// Records the size of each Write, to see that the writer streams.
class CountingWriter : public Writer {
 public:
  void Write(ConstByteSpan src) override {
    data_.append(AsChars(src));
    max_write_ = std::max(max_write_, src.size());
    ++writes_;
  }
  void Close() override {}
  void Abort() noexcept override {}
  std::string data_;
  size_t max_write_ = 0;
  size_t writes_ = 0;
};

// Hands out at most `chunk` bytes per Read, to exercise the parser's refills.
class TrickleReader : public Reader {
 public:
  TrickleReader(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
  size_t Read(ByteSpan dst) override {
    size_t n = std::min({dst.size(), chunk_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, reinterpret_cast<char*>(dst.data()));
    pos_ += n;
    ++reads_;
    return n;
  }
  size_t reads_ = 0;

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

FilesMetadata Parse(const std::string& json, size_t chunk = 1 << 20) {
  TrickleReader reader(json, chunk);
  return ReadFilesMetadata(reader, "basebackups_005/b/files_metadata.json");
}

// A document as WAL-G writes it (fields in Go's order, CorruptBlocks as a struct, local-time
// MTime).
constexpr std::string_view kWalGDocument =
    R"({"Files":{"/PG_VERSION":{"IsIncremented":false,"IsSkipped":false,"MTime":"2025-12-30T13:06:51.123456789+03:00","UpdatesCount":0},)"
    R"("/base/5/16384":{"IsIncremented":true,"IsSkipped":false,"MTime":"2025-12-30T10:06:51Z",)"
    R"("CorruptBlocks":{"CorruptBlocksCount":12,"SomeCorruptBlocks":[1,2,3]},"UpdatesCount":7},)"
    R"("/global":{"IsIncremented":false,"IsSkipped":true,"MTime":"2025-12-30T10:06:51.5Z","UpdatesCount":0,"Future":{"x":[1]}}},)"
    R"("TarFileSets":{"part_001.tar.lz4":["/PG_VERSION","/global"],"backup_label.tar.lz4":["tablespace_map","backup_label"]},)"
    R"("DatabasesByNames":{"postgres":{"oid":5,"tables":{"public.t":{"oid":16384,"relfilenode":16384}}}}})";

TEST(FilesMetadataTest, ReadsWalGsDocument) {
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1} << 20}) {
    FilesMetadata m = Parse(std::string(kWalGDocument), chunk);
    ASSERT_EQ(m.files.size(), 3u);
    const auto& version = m.files.at("/PG_VERSION");
    EXPECT_FALSE(version.is_incremented);
    EXPECT_EQ(FormatRfc3339Nano(version.mtime), "2025-12-30T10:06:51.123456789Z");
    const auto& rel = m.files.at("/base/5/16384");
    EXPECT_TRUE(rel.is_incremented);
    EXPECT_EQ(rel.updates_count, 7u);
    ASSERT_TRUE(rel.corrupt_blocks);
    EXPECT_EQ(rel.corrupt_blocks->count, 12);
    EXPECT_EQ(rel.corrupt_blocks->some_blocks, (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_TRUE(m.files.at("/global").is_skipped);
    EXPECT_EQ(m.tar_file_sets.at("backup_label.tar.lz4"),
              (std::vector<std::string>{"tablespace_map", "backup_label"}));
    EXPECT_EQ(nlohmann::json::parse(m.databases_by_names)["postgres"]["oid"], 5);
  }
}

TEST(FilesMetadataTest, ReadsOlderForms) {
  // Old WAL-G: CorruptBlocks as a plain list; no UpdatesCount; Files null; an empty document.
  FilesMetadata m = Parse(
      R"({"Files":{"/a":{"IsIncremented":false,"IsSkipped":false,"MTime":"2020-01-01T00:00:00Z","CorruptBlocks":[4,5]}},"TarFileSets":null})");
  EXPECT_EQ(m.files.at("/a").corrupt_blocks->count, 2);
  EXPECT_EQ(m.files.at("/a").corrupt_blocks->some_blocks, (std::vector<uint32_t>{4, 5}));
  EXPECT_TRUE(Parse(R"({"Files":null})").files.empty());
  EXPECT_TRUE(Parse("{}").files.empty());
}

TEST(FilesMetadataTest, WriterOutputIsGoShapedAndRoundTrips) {
  FilesMetadata m;
  BackupFileDescription plain;
  plain.mtime = *ParseRfc3339("2025-12-30T10:06:51.1Z");
  m.files["/PG_VERSION"] = plain;
  BackupFileDescription rich = plain;
  rich.is_incremented = true;
  rich.corrupt_blocks = CorruptBlocksInfo{3, {9, 10, 11}};
  rich.updates_count = 4;
  rich.size = 8192;
  rich.sha256 = std::string(64, 'a');
  m.files["/base/1/\"quoted\"\n"] = rich;
  m.tar_file_sets["part_001.tar.br"] = {"/PG_VERSION", "/base/1/\"quoted\"\n"};
  m.tar_file_sets["pg_control.tar.br"] = {"/global/pg_control"};
  m.databases_by_names = R"({"db":{"oid":1}})";
  MemoryWriter out;
  WriteFilesMetadata(m, out);
  EXPECT_EQ(
      out.data().substr(0, 115),
      R"({"Files":{"/PG_VERSION":{"IsIncremented":false,"IsSkipped":false,"MTime":"2025-12-30T10:06:51.1Z","UpdatesCount":0})");
  EXPECT_NE(
      out.data().find(R"("CorruptBlocks":{"CorruptBlocksCount":3,"SomeCorruptBlocks":[9,10,11]},)"
                      R"("UpdatesCount":4,"Size":8192,"Sha256":"aaaa)"),
      std::string::npos)
      << out.data();
  // Valid JSON a generic parser agrees with.
  auto generic = nlohmann::json::parse(out.data());
  EXPECT_EQ(generic["TarFileSets"]["pg_control.tar.br"][0], "/global/pg_control");
  EXPECT_EQ(Parse(out.data()), m);
}

TEST(FilesMetadataTest, EmptyDocument) {
  MemoryWriter out;
  FilesMetadataWriter writer(out);
  writer.Finish();
  EXPECT_EQ(out.data(), R"({"Files":{},"TarFileSets":{}})");
  EXPECT_EQ(Parse(out.data()), FilesMetadata{});
}

TEST(FilesMetadataTest, StreamsALargeDocumentInBoundedPieces) {
  // 100k entries (about 12 MB): the writer hands its output on in pieces of about 64 KiB, and the
  // reader reports each entry as it goes, without a map.
  constexpr int kFiles = 100000;
  CountingWriter out;
  {
    FilesMetadataWriter writer(out);
    BackupFileDescription file;
    file.mtime = *ParseRfc3339("2025-12-30T10:06:51.123456789Z");
    for (int i = 0; i < kFiles; ++i) {
      file.updates_count = static_cast<uint64_t>(i);
      writer.AddFile("/base/16384/" + std::to_string(100000 + i), file);
    }
    std::vector<std::string> paths = {"/base/16384/100000"};
    writer.AddTarFileSet("part_001.tar.lz4", paths);
    writer.Finish();
  }
  EXPECT_GT(out.data_.size(), 10u << 20);
  EXPECT_LT(out.max_write_, 128u << 10);
  EXPECT_GT(out.writes_, 100u);

  TrickleReader reader(out.data_, 1 << 20);
  int seen = 0;
  bool in_order = true;
  FilesMetadataVisitor visitor;
  visitor.on_file = [&](const std::string& path, const BackupFileDescription& file) {
    in_order = in_order && path == "/base/16384/" + std::to_string(100000 + seen) &&
               file.updates_count == uint64_t(seen);
    ++seen;
  };
  int sets = 0;
  visitor.on_tar_file_set = [&](const std::string&, const std::vector<std::string>&) { ++sets; };
  ReadFilesMetadata(reader, "k", visitor);
  EXPECT_EQ(seen, kFiles);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(sets, 1);
}

TEST(FilesMetadataTest, CallsOutOfOrderAreABug) {
  MemoryWriter out;
  FilesMetadataWriter writer(out);
  std::vector<std::string> none;
  writer.AddTarFileSet("part_001.tar", none);
  EXPECT_EQ(ExpectError([&] { writer.AddFile("/x", {}); }).code(), ErrorCode::kInternal);
}

TEST(FilesMetadataTest, BadDocumentsAreCorruptionNamingTheObject) {
  struct Case {
    std::string json;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"", "invalid JSON"},
           {R"({"Files":{"/a":{"IsSkipped":true})", "invalid JSON"},
           {R"({"Files":{}} trailing)", "invalid JSON"},
           {"[]", "expected a JSON object"},
           {"7", "expected a JSON object"},
           {R"({"Files":[]})", "\"Files\" must be an object"},
           {R"({"Files":"x"})", "\"Files\" must be an object"},
           {R"({"Files":{"/a":1}})", "file \"/a\": expected an object"},
           {R"({"Files":{"/a":{"IsSkipped":"yes"}}})",
            "file \"/a\": field \"IsSkipped\" must be true or false"},
           {R"({"Files":{"/a":{"MTime":"noon"}}})",
            "file \"/a\": field \"MTime\" is not an RFC 3339 time"},
           {R"({"Files":{"/a":{"UpdatesCount":-1}}})",
            "field \"UpdatesCount\" must be an unsigned integer"},
           {R"({"Files":{"/a":{"CorruptBlocks":{"SomeCorruptBlocks":[-1]}}}})",
            "corrupt block number out of range"},
           {R"({"TarFileSets":{"p":[1]}})", "tar \"p\": paths must be strings"},
           {R"({"TarFileSets":{"p":{}}})", "tar \"p\": expected a list of paths"},
           {R"({"DatabasesByNames":)" + std::string(100, '[') + std::string(100, ']') + "}",
            "nested too deep"},
       }) {
    Error e = ExpectError([&] { Parse(c.json); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << c.json;
    EXPECT_NE(std::string(e.what()).find("basebackups_005/b/files_metadata.json"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
        << c.json << " -> " << e.what();
  }
}

TEST(FilesMetadataTest, ReaderErrorsPropagate) {
  class FailingReader : public Reader {
   public:
    size_t Read(ByteSpan) override { throw Error(ErrorCode::kNetwork, "connection reset"); }
  } reader;
  EXPECT_EQ(ExpectError([&] { ReadFilesMetadata(reader, "k"); }).code(), ErrorCode::kNetwork);
}

}  // namespace
}  // namespace walnut
