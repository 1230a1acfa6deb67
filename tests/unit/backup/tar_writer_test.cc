#include "backup/tar_writer.h"

#include <string>

#include <gtest/gtest.h>

#include "io/memory_stream.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using testing::ReadFile;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;
using testing::WriteFile;

TarEntry Entry(std::string name, TarEntry::Type type, uint64_t size = 0, std::string link = "") {
  TarEntry e;
  e.name = std::move(name);
  e.type = type;
  e.mode = type == TarEntry::Type::kRegular ? 0600 : 0700;
  e.uid = 1000;
  e.gid = 1000;
  e.uname = "pg";
  e.gname = "pg";
  e.mtime = 1700000000;
  e.size = size;
  e.link_target = std::move(link);
  return e;
}

TarEntry File(std::string name, uint64_t size) {
  return Entry(std::move(name), TarEntry::Type::kRegular, size);
}
TarEntry Dir(std::string name) { return Entry(std::move(name), TarEntry::Type::kDirectory); }

// GNU tar reads our output: the real interoperability check.
TEST(TarWriterTest, GnuTarListsAndExtractsEverything) {
  MemoryWriter out;
  TarWriter tar(out);
  tar.AddEntry(Dir("/base"));
  std::string content = testing::RandomBytes(10000);
  tar.AddEntry(File("/base/1259", content.size()));
  tar.Write(AsBytes(content));
  // A name past ustar's 100+155 split: needs a PAX path record.
  std::string long_dir = "/pg_tblspc/16385/" + std::string(120, 'd');
  std::string long_name = long_dir + "/" + std::string(150, 'f');
  tar.AddEntry(Dir(long_dir));
  tar.AddEntry(File(long_name, 3));
  tar.Write(AsBytes("abc"));
  // A name that splits into prefix + name.
  std::string split_name = "/" + std::string(90, 'p') + "/" + std::string(90, 'n');
  tar.AddEntry(Dir("/" + std::string(90, 'p')));
  tar.AddEntry(File(split_name, 0));
  tar.AddEntry(Entry("/link", TarEntry::Type::kSymlink, 0, "base/1259"));
  tar.Close();
  ASSERT_TRUE(out.closed());
  EXPECT_EQ(out.data().size() % 512, 0u);

  TempDir dir;
  WriteFile(dir.path() / "a.tar", out.data());
  auto list = RunCommand("tar -tvf " + ShellQuote((dir.path() / "a.tar").string()));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("base/1259"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(std::string(150, 'f')), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("link -> base/1259"), std::string::npos) << list.out;

  auto extract = RunCommand("cd " + ShellQuote(dir.str()) + " && mkdir x && tar -xf a.tar -C x");
  ASSERT_EQ(extract.exit_code, 0) << extract.err;
  EXPECT_EQ(ReadFile(dir.path() / "x/base/1259"), content);
  EXPECT_EQ(ReadFile(dir.path() / ("x" + long_name)), "abc");
  EXPECT_EQ(ReadFile(dir.path() / ("x" + split_name)), "");
}

TEST(TarWriterTest, ShortContentIsZeroFilledToTheHeaderSize) {
  MemoryWriter out;
  TarWriter tar(out);
  tar.AddEntry(File("/shrunk", 1000));
  tar.Write(AsBytes("xyz"));
  EXPECT_EQ(tar.FinishEntry(), 997u);
  tar.Close();
  TempDir dir;
  WriteFile(dir.path() / "a.tar", out.data());
  auto extract = RunCommand("cd " + ShellQuote(dir.str()) + " && tar -xf a.tar");
  ASSERT_EQ(extract.exit_code, 0) << extract.err;
  EXPECT_EQ(ReadFile(dir.path() / "shrunk"), "xyz" + std::string(997, '\0'));
}

TEST(TarWriterTest, ContentBeyondTheHeaderSizeIsRefused) {
  MemoryWriter out;
  TarWriter tar(out);
  tar.AddEntry(File("/f", 2));
  EXPECT_EQ(testing::ExpectError([&] { tar.Write(AsBytes("abc")); }).code(), ErrorCode::kInternal);
}

TEST(TarWriterTest, HugeSizesUsePaxAndHeadersHaveValidChecksums) {
  MemoryWriter out;
  TarWriter tar(out);
  // 9 GiB does not fit ustar's 11 octal digits: the size goes into a PAX record. Write only the
  // headers (no content), and check the header bytes GNU tar would check.
  tar.AddEntry(File("/big", 9ull << 30));
  std::string data = out.data();
  ASSERT_GE(data.size(), 3u * 512);
  EXPECT_EQ(data[156], 'x');  // the extended header first
  EXPECT_NE(data.find("size=9663676416\n"), std::string::npos);
  // The checksum field of the first header: 6 octal digits, NUL, space.
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(data[i]);
  EXPECT_EQ(std::stoul(data.substr(148, 6), nullptr, 8), sum);
  EXPECT_EQ(data[154], '\0');
  EXPECT_EQ(data.substr(257, 6), std::string("ustar\0", 6));
}

}  // namespace
}  // namespace walnut
