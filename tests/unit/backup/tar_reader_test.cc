#include "backup/tar_reader.h"

#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "io/memory_stream.h"
#include "support/tar_test_util.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ExpectError;
using testing::PaxRecord;
using testing::RandomBytes;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TarEnd;
using testing::TarFile;
using testing::TarHeader;
using testing::TarPadded;
using testing::TempDir;
using testing::WithTarChecksum;
using testing::WriteFile;

struct ReadEntry {
  TarEntry entry;
  std::string content;
};

// Reads every entry of `tar` (content in small pieces, to cross block boundaries).
std::vector<ReadEntry> ReadTar(const std::string& tar, const std::string& name = "test.tar") {
  MemoryReader input(tar);
  TarReader reader(input, name);
  std::vector<ReadEntry> out;
  while (auto entry = reader.Next()) {
    ReadEntry read{*entry, testing::ReadInRandomChunks(reader.content(), 7000)};
    out.push_back(std::move(read));
  }
  return out;
}

std::map<std::string, ReadEntry> ByName(const std::vector<ReadEntry>& entries) {
  std::map<std::string, ReadEntry> out;
  for (const auto& e : entries) out[e.entry.name] = e;
  return out;
}

// A tree with what a data directory holds: empty files, a large file, nested directories, a
// symlink, restrictive modes and names longer than ustar's 100-byte name field.
struct SourceTree {
  TempDir dir;
  std::map<std::string, std::string> files;  // relative path -> content
  std::string long_name;
  std::string very_long_name;

  SourceTree() {
    fs::path root = dir.path() / "src";
    fs::create_directories(root / "base/1");
    fs::create_directories(root / "global");
    fs::create_directories(root / "pg_wal");
    files["base/1/1259"] = RandomBytes(3 * 8192 + 17, 3);
    files["base/1/empty"] = "";
    files["global/big"] = RandomBytes(2 << 20, 4);
    files["PG_VERSION"] = "15\n";
    long_name = "base/1/" + std::string(120, 'l');
    std::string deep =
        "base/" + std::string(90, 'a') + "/" + std::string(90, 'b') + "/" + std::string(90, 'c');
    fs::create_directories(root / deep);
    very_long_name = deep + "/" + std::string(60, 'f');
    files[long_name] = "long";
    files[very_long_name] = "very long";
    for (const auto& [path, content] : files) WriteFile(root / path, content);
    fs::permissions(root / "base/1/1259", fs::perms::owner_read | fs::perms::owner_write);
    fs::create_symlink("../PG_VERSION", root / "base/link");
    struct timeval times[2] = {{1600000000, 0}, {1600000000, 0}};
    ::utimes((root / "PG_VERSION").c_str(), times);
  }

  std::string Tar(const std::string& format, const std::string& extra = "") const {
    auto result = RunCommand(fmt::format("tar -cf - --format={} {} -C {} .", format, extra,
                                         ShellQuote((dir.path() / "src").string())));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }
};

class GnuTarFormatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GnuTarFormatTest, ReadsEveryEntryOfATreeMadeByGnuTar) {
  SourceTree tree;
  auto entries = ByName(ReadTar(tree.Tar(GetParam())));
  ASSERT_TRUE(entries.count(""));  // "./"
  EXPECT_EQ(entries[""].entry.type, TarEntry::Type::kDirectory);
  for (const auto& [path, content] : tree.files) {
    ASSERT_TRUE(entries.count(path)) << path;
    EXPECT_EQ(entries[path].entry.type, TarEntry::Type::kRegular) << path;
    EXPECT_EQ(entries[path].entry.size, content.size()) << path;
    EXPECT_EQ(entries[path].content, content) << path;
  }
  EXPECT_EQ(entries["base/1/1259"].entry.mode, 0600u);
  EXPECT_EQ(entries["PG_VERSION"].entry.mtime, 1600000000);
  EXPECT_EQ(entries["base/1"].entry.type, TarEntry::Type::kDirectory);
  EXPECT_EQ(entries["base/link"].entry.type, TarEntry::Type::kSymlink);
  EXPECT_EQ(entries["base/link"].entry.link_target, "../PG_VERSION");
  EXPECT_EQ(entries["base/link"].content, "");
}

// ustar cannot hold the very long name; gnu writes 'L' entries, posix PAX 'path' records.
INSTANTIATE_TEST_SUITE_P(Formats, GnuTarFormatTest, ::testing::Values("gnu", "oldgnu", "posix"));

TEST(TarReaderTest, ReadsUstarWithTheNamePrefixField) {
  SourceTree tree;
  // 151 bytes: ustar stores "base/<90 a>" in the prefix field and the rest in the name field.
  std::string name = "base/" + std::string(90, 'a') + "/" + std::string(55, 'u');
  WriteFile(tree.dir.path() / "src" / name, "split");
  auto result =
      RunCommand(fmt::format("tar -cf - --format=ustar -C {} {}",
                             ShellQuote((tree.dir.path() / "src").string()), ShellQuote(name)));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto entries = ReadTar(result.out);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].entry.name, name);
  EXPECT_EQ(entries[0].content, "split");
}

// WAL-G (Go's archive/tar) stores names with a leading '/': they land inside the target.
TEST(TarReaderTest, StripsTheLeadingSlashOfWalgNames) {
  SourceTree tree;
  auto entries = ByName(ReadTar(tree.Tar("posix", "-P --transform='s,^\\./,/,'")));
  ASSERT_TRUE(entries.count("base/1/1259"));
  EXPECT_EQ(entries["base/1/1259"].content, tree.files["base/1/1259"]);
  EXPECT_TRUE(entries.count(tree.very_long_name));
}

TEST(TarReaderTest, EmptyArchiveHasNoEntries) {
  EXPECT_TRUE(ReadTar(TarEnd()).empty());
  // GNU tar pads the archive to 10 KiB records with zeros.
  EXPECT_TRUE(ReadTar(std::string(10240, '\0')).empty());
}

TEST(TarReaderTest, SkipsUnreadContent) {
  std::string tar = TarFile("a", RandomBytes(5000)) + TarFile("b", "second") + TarEnd();
  MemoryReader input(tar);
  TarReader reader(input, "t.tar");
  ASSERT_EQ(reader.Next()->name, "a");
  auto b = reader.Next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "b");
  EXPECT_EQ(testing::ReadAll(reader.content()), "second");
  EXPECT_FALSE(reader.Next());
  EXPECT_FALSE(reader.Next());
}

TEST(TarReaderTest, EveryTruncationIsCorruption) {
  std::string body = TarFile("base/1/1", RandomBytes(1300)) + TarFile("global/pg_control", "x");
  std::string tar = body + TarEnd();
  for (size_t length = 0; length <= body.size(); length += (length % 512 == 0 ? 1 : 211)) {
    Error e = ExpectError([&] { ReadTar(tar.substr(0, length), "part_007.tar.lz4"); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << length;
    EXPECT_NE(std::string(e.what()).find("part_007.tar.lz4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  // One zero block ends the archive (Go's reader stops there too).
  EXPECT_EQ(ReadTar(tar.substr(0, body.size() + 512)).size(), 2u);
}

TEST(TarReaderTest, RefusesABadHeaderChecksum) {
  std::string tar = TarFile("base/1/1", "data") + TarEnd();
  tar[10] ^= 1;
  Error e = ExpectError([&] { ReadTar(tar, "part_001.tar.br"); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("part_001.tar.br"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos);
}

TEST(TarReaderTest, RefusesGarbage) {
  Error e = ExpectError([&] { ReadTar(RandomBytes(4096)); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
}

TEST(TarReaderTest, RefusesDataAfterTheEndMarker) {
  Error e = ExpectError([&] { ReadTar(TarFile("a", "x") + TarEnd() + "trailing"); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_NE(std::string(e.what()).find("after the end-of-archive"), std::string::npos);
}

TEST(TarReaderTest, RefusesPathTraversal) {
  for (std::string name : {"../etc/passwd", "base/../../x", "/../x", "a/.."}) {
    Error e = ExpectError([&] { ReadTar(TarFile(name, "x") + TarEnd(), "evil.tar"); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << name;
    EXPECT_NE(std::string(e.what()).find("evil.tar"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
  std::string pax = PaxRecord("path", "ok/../../escape");
  std::string tar = TarHeader("PaxHeader", 'x', pax.size()) + TarPadded(pax) +
                    TarFile("innocent", "x") + TarEnd();
  EXPECT_EQ(ExpectError([&] { ReadTar(tar); }).code(), ErrorCode::kCorruption);
}

TEST(TarReaderTest, AbsoluteAndDottedNamesStayInsideTheTarget) {
  auto entries = ReadTar(TarFile("/etc/passwd", "a") + TarFile("./x//./y", "b") + TarEnd());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].entry.name, "etc/passwd");
  EXPECT_EQ(entries[1].entry.name, "x/y");
  EXPECT_EQ(NormalizeTarPath(std::string("a\0b", 3)), std::nullopt);
}

TEST(TarReaderTest, PaxOverridesSizePathAndMtime) {
  std::string pax = PaxRecord("path", std::string(300, 'p')) + PaxRecord("size", "5") +
                    PaxRecord("mtime", "1234567890.123456789") + PaxRecord("uname", "postgres");
  std::string tar = TarHeader("PaxHeaders/x", 'x', pax.size()) + TarPadded(pax) +
                    TarHeader("short", '0', 0) + TarPadded("hello") + TarEnd();
  auto entries = ReadTar(tar);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].entry.name, std::string(300, 'p'));
  EXPECT_EQ(entries[0].entry.size, 5u);
  EXPECT_EQ(entries[0].entry.mtime, 1234567890);
  EXPECT_EQ(entries[0].content, "hello");
}

TEST(TarReaderTest, RefusesMalformedPaxRecords) {
  for (std::string pax : {std::string("99 path=x\n"), std::string("5 a=b"),
                          std::string("x path=y\n"), PaxRecord("size", "12a")}) {
    std::string tar =
        TarHeader("PaxHeaders/x", 'x', pax.size()) + TarPadded(pax) + TarFile("f", "") + TarEnd();
    EXPECT_EQ(ExpectError([&] { ReadTar(tar); }).code(), ErrorCode::kCorruption) << pax;
  }
}

TEST(TarReaderTest, ReadsBase256Sizes) {
  std::string block = TarHeader("f", '0', 0);
  std::string field(12, '\0');
  field[0] = static_cast<char>(0x80);
  field[11] = 3;
  block.replace(124, 12, field);
  auto entries = ReadTar(WithTarChecksum(block) + TarPadded("abc") + TarEnd());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].content, "abc");
}

TEST(TarReaderTest, RefusesHardLinksAndDevices) {
  for (char type : {'1', '3', '4', '6', 'S'}) {
    Error e = ExpectError([&] { ReadTar(TarHeader("dev", type, 0, "target") + TarEnd()); });
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << type;
    EXPECT_NE(std::string(e.what()).find("dev"), std::string::npos);
  }
}

TEST(TarReaderTest, RefusesOversizedExtendedHeaders) {
  std::string tar = TarHeader("././@LongLink", 'L', TarReader::kMaxExtendedHeaderSize + 1);
  EXPECT_EQ(ExpectError([&] { ReadTar(tar + TarEnd()); }).code(), ErrorCode::kCorruption);
}

TEST(TarReaderTest, RefusesAnExtendedHeaderWithoutAnEntry) {
  std::string pax = PaxRecord("path", "x");
  std::string tar = TarHeader("PaxHeaders/x", 'x', pax.size()) + TarPadded(pax) + TarEnd();
  EXPECT_EQ(ExpectError([&] { ReadTar(tar); }).code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace walnut
