#include "backup/pgdata_walker.h"

#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "localfs/local_fs.h"
#include "support/test_util.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

struct Walked {
  std::set<std::string> names;
  std::string pg_control;
  std::map<std::string, WalkedEntry> entries;
};

Walked WalkTree(PgDataWalker& walker) {
  Walked out;
  walker.Walk(PgDataWalkVisitor{
      .on_entry =
          [&](WalkedEntry&& e) {
            out.names.insert(e.header.name);
            out.entries[e.header.name] = e;
          },
      .on_pg_control = [&](WalkedEntry&& e) { out.pg_control = e.header.name; },
  });
  return out;
}

class PgDataWalkerTest : public ::testing::Test {
 protected:
  void Touch(const std::string& relative, const std::string& content = "x") {
    fs::create_directories((root_.path() / relative).parent_path());
    WriteFile(root_.path() / relative, content);
  }
  TempDir root_;
};

TEST_F(PgDataWalkerTest, SkipsWhatWalGAndPgBasebackupSkip) {
  Touch("PG_VERSION", "15\n");
  Touch("global/pg_control");
  Touch("global/1262");
  Touch("global/pg_internal.init");
  Touch("base/5/1259");
  Touch("base/5/1259.1");
  Touch("base/5/pg_internal.init");
  Touch("base/5/16400");       // unlogged: main fork skipped ...
  Touch("base/5/16400_fsm");   // ... and its other forks ...
  Touch("base/5/16400_init");  // ... but its init fork kept
  Touch("base/5/t3_16500");    // temporary relation
  Touch("base/5/t3_16500_fsm");
  Touch("base/pgsql_tmp/pgsql_tmp123.0");
  Touch("pg_wal/000000010000000000000001");
  Touch("pg_wal/archive_status/000000010000000000000001.ready");
  Touch("pg_replslot/slot/state");
  Touch("pg_stat_tmp/global.stat");
  Touch("pg_notify/0000");
  Touch("pg_subtrans/0000");
  Touch("log/postgresql.log");
  Touch("postmaster.pid");
  Touch("postmaster.opts");
  Touch("backup_label");
  Touch("backup_label.old");
  Touch("tablespace_map");
  Touch("standby.signal");
  Touch("recovery.signal");  // kept: WAL-G keeps it too
  Touch("postgresql.auto.conf");
  Touch("postgresql.auto.conf.tmp");
  Touch("current_logfiles.tmp");

  PgDataWalker walker(LocalFs::Default(), root_.str());
  Walked w = WalkTree(walker);
  std::set<std::string> expected = {"/PG_VERSION",
                                    "/global",
                                    "/global/1262",
                                    "/base",
                                    "/base/5",
                                    "/base/5/1259",
                                    "/base/5/1259.1",
                                    "/base/5/16400_init",
                                    "/base/pgsql_tmp",
                                    "/pg_wal",
                                    "/pg_wal/archive_status",
                                    "/pg_replslot",
                                    "/pg_stat_tmp",
                                    "/pg_notify",
                                    "/pg_subtrans",
                                    "/log",
                                    "/recovery.signal",
                                    "/postgresql.auto.conf"};
  EXPECT_EQ(w.names, expected);
  EXPECT_EQ(w.pg_control, "/global/pg_control");
  EXPECT_TRUE(walker.spec().names.empty());

  EXPECT_TRUE(w.entries["/base/5/1259"].has_page_checksums);
  EXPECT_EQ(w.entries["/base/5/1259.1"].first_block, 131072u);
  EXPECT_FALSE(w.entries["/PG_VERSION"].has_page_checksums);
  EXPECT_EQ(w.entries["/PG_VERSION"].header.size, 3u);
  EXPECT_EQ(w.entries["/base/5"].header.type, TarEntry::Type::kDirectory);
}

TEST_F(PgDataWalkerTest, FollowsTablespaceLinksAndRecordsTheSpec) {
  TempDir tablespace;
  fs::create_directories(tablespace.path() / "PG_15_202209061/5");
  WriteFile(tablespace.path() / "PG_15_202209061/5/16390", "data");
  WriteFile(tablespace.path() / "PG_15_202209061/5/t4_1", "temp");
  Touch("global/pg_control");
  fs::create_directories(root_.path() / "pg_tblspc");
  fs::create_directory_symlink(tablespace.path(), root_.path() / "pg_tblspc/16385");
  fs::create_symlink("elsewhere", root_.path() / "some_link");

  PgDataWalker walker(LocalFs::Default(), root_.str());
  Walked w = WalkTree(walker);
  EXPECT_TRUE(w.names.contains("/pg_tblspc/16385"));
  EXPECT_EQ(w.entries["/pg_tblspc/16385"].header.type, TarEntry::Type::kDirectory);
  EXPECT_TRUE(w.names.contains("/pg_tblspc/16385/PG_15_202209061/5/16390"));
  EXPECT_FALSE(w.names.contains("/pg_tblspc/16385/PG_15_202209061/5/t4_1"));
  EXPECT_EQ(w.entries["/pg_tblspc/16385/PG_15_202209061/5/16390"].source_path,
            root_.str() + "/pg_tblspc/16385/PG_15_202209061/5/16390");
  EXPECT_TRUE(w.entries["/pg_tblspc/16385/PG_15_202209061/5/16390"].has_page_checksums);
  EXPECT_EQ(w.entries["/some_link"].header.type, TarEntry::Type::kSymlink);
  EXPECT_EQ(w.entries["/some_link"].header.link_target, "elsewhere");

  ASSERT_EQ(walker.spec().names, std::vector<std::string>{"16385"});
  EXPECT_EQ(walker.spec().locations.at("16385").location, tablespace.str());
  EXPECT_EQ(walker.spec().locations.at("16385").symlink, "pg_tblspc/16385");
  EXPECT_EQ(walker.spec().base_prefix, root_.str());
}

TEST(RelationFirstBlockTest, OnlyRelationFilesInDataDirectories) {
  EXPECT_EQ(RelationFirstBlock("base/5/1259"), 0u);
  EXPECT_EQ(RelationFirstBlock("base/5/1259_vm.2"), 2u * 131072);
  EXPECT_EQ(RelationFirstBlock("global/1262"), 0u);
  EXPECT_FALSE(RelationFirstBlock("global/pg_filenode.map"));
  EXPECT_FALSE(RelationFirstBlock("base/5/PG_VERSION"));
  EXPECT_FALSE(RelationFirstBlock("pg_xact/0000"));
  EXPECT_FALSE(RelationFirstBlock("base/5/1259_xx"));
}

TEST_F(PgDataWalkerTest, MissingDataDirectoryIsAClearError) {
  PgDataWalker walker(LocalFs::Default(), "/nonexistent/pgdata");
  auto e = testing::ExpectError([&] { walker.Walk({}); });
  EXPECT_NE(std::string(e.what()).find("/nonexistent/pgdata"), std::string::npos);
}

}  // namespace
}  // namespace walnut
