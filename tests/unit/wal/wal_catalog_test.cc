#include "wal/wal_catalog.h"

#include <gtest/gtest.h>

#include "storage/folder.h"
#include "storage/memory/memory_storage.h"

namespace walnut::wal {
namespace {

using pg::SegmentNo;

void PutEmpty(MemoryStorage& storage, const std::string& key) {
  auto writer = storage.Put(key);
  writer->Close();
}

TEST(WalCatalogTest, GroupsSegmentsByTimelineAcrossCompressions) {
  WalCatalog catalog;
  for (const char* name :
       {"000000010000000000000003.lz4", "000000010000000000000001.zst", "000000010000000000000002",
        "000000010000000000000003.br", "00000002000000000000000A.lzma",
        "000000020000000100000000.gz", "000000020000000000000009.lzo"}) {
    catalog.Add(name);
  }
  EXPECT_EQ(catalog.Timelines(), (std::vector<pg::TimelineId>{1, 2}));
  EXPECT_EQ(catalog.Segments(1), (std::vector<SegmentNo>{1, 2, 3}));
  // 0x0000000100000000 with 16 MiB segments: 256 segments per 4 GiB.
  EXPECT_EQ(catalog.Segments(2), (std::vector<SegmentNo>{9, 10, 256}));
  EXPECT_TRUE(catalog.Contains({1, 2}));
  EXPECT_FALSE(catalog.Contains({2, 2}));
  EXPECT_FALSE(catalog.Contains({3, 1}));
  EXPECT_TRUE(catalog.Segments(7).empty());
}

TEST(WalCatalogTest, IgnoresNamesThatAreNotSegments) {
  WalCatalog catalog;
  for (const char* name :
       {"000000010000000000000003.partial.lz4", "000000010000000000000003.00000028.backup.lz4",
        "000000010000000000000010_delta.lz4", "000000010000000000000004.json", "README",
        "00000001000000000000000g.lz4", "0000000100000000000000300.lz4", "00000001000000000000001",
        "000000010000000000000005.txt", "00000001000000000000FF00.lz4" /* seg part >= 256 */}) {
    catalog.Add(name);
  }
  EXPECT_TRUE(catalog.Timelines().empty());
}

TEST(WalCatalogTest, HistoryFilesAndHighestTimeline) {
  WalCatalog catalog;
  catalog.Add("000000010000000000000001.lz4");
  catalog.Add("00000002.history.lz4");
  catalog.Add("00000003.history");
  EXPECT_EQ(catalog.HistoryObject(2), "00000002.history.lz4");
  EXPECT_EQ(catalog.HistoryObject(3), "00000003.history");
  EXPECT_FALSE(catalog.HistoryObject(1));
  EXPECT_EQ(catalog.HighestTimeline(), 3u);
  // A .partial names its timeline too: the old primary's last segment after a promotion.
  catalog.Add("000000050000000000000007.partial.zst");
  EXPECT_EQ(catalog.HighestTimeline(), 5u);
  EXPECT_EQ(catalog.Timelines(), (std::vector<pg::TimelineId>{1}));
}

TEST(WalCatalogTest, ListsTheWalFolderOnly) {
  MemoryStorage storage;
  PutEmpty(storage, "root/wal_005/000000010000000000000001.lz4");
  PutEmpty(storage, "root/wal_005/000000010000000000000002.lz4");
  PutEmpty(storage, "root/wal_005/sub/000000010000000000000009.lz4");
  PutEmpty(storage, "root/basebackups_005/000000010000000000000005.lz4");
  Folder wal(storage, "root/wal_005/");
  WalCatalog catalog = WalCatalog::List(wal, pg::kDefaultWalSegmentSize);
  EXPECT_EQ(catalog.Segments(1), (std::vector<SegmentNo>{1, 2}));
}

TEST(WalCatalogTest, HonoursTheSegmentSize) {
  WalCatalog catalog(64u << 20);  // 64 segments per 4 GiB
  catalog.Add("000000010000000100000003.lz4");
  catalog.Add("000000010000000100000040.lz4");  // 0x40 = 64: not a segment of this size
  EXPECT_EQ(catalog.Segments(1), (std::vector<SegmentNo>{67}));
}

TEST(WalCatalogTest, StripsOnlyCompressionExtensions) {
  EXPECT_EQ(StripCompressionExtension("000000010000000000000003.lz4"), "000000010000000000000003");
  EXPECT_EQ(StripCompressionExtension("00000002.history"), "00000002.history");
  EXPECT_EQ(StripCompressionExtension("00000002.history.br"), "00000002.history");
  EXPECT_EQ(StripCompressionExtension("x.json"), "x.json");
  EXPECT_EQ(StripCompressionExtension("noext"), "noext");
}

}  // namespace
}  // namespace walnut::wal
