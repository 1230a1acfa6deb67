#include "backup/backup_metadata.h"

#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "support/test_config.h"
#include "support/test_util.h"

namespace walnut {
namespace {

using std::chrono::nanoseconds;
using testing::ExpectError;

Timestamp At(std::chrono::sys_days day, int64_t nanos_of_day) {
  return Timestamp(day) + nanoseconds(nanos_of_day);
}

constexpr int64_t kSecond = 1'000'000'000;

TEST(GoTimeTest, FormatsRfc3339NanoAsGoDoes) {
  using namespace std::chrono;
  const sys_days day = 2025y / December / 20;
  EXPECT_EQ(FormatRfc3339Nano(At(day, 2 * 3600 * kSecond + 1 * kSecond + 793015000)),
            "2025-12-20T02:00:01.793015Z");
  EXPECT_EQ(FormatRfc3339Nano(At(day, 17 * kSecond + 730000000)), "2025-12-20T00:00:17.73Z");
  EXPECT_EQ(FormatRfc3339Nano(At(day, 17 * kSecond)), "2025-12-20T00:00:17Z");
  EXPECT_EQ(FormatRfc3339Nano(At(day, 1)), "2025-12-20T00:00:00.000000001Z");
  EXPECT_EQ(FormatRfc3339Nano(kGoZeroTime), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(At(day, 17 * kSecond + 730000000)), "2025-12-20T00:00:17Z");
}

TEST(GoTimeTest, ParsesWhatGoWritesIncludingOffsets) {
  using namespace std::chrono;
  const sys_days day = 2025y / December / 20;
  EXPECT_EQ(ParseRfc3339("2025-12-20T02:00:01.793015Z"),
            At(day, 2 * 3600 * kSecond + kSecond + 793015000));
  EXPECT_EQ(ParseRfc3339("2025-12-20T00:00:17Z"), At(day, 17 * kSecond));
  // Go writes a file's MTime in local time: the offset is applied, the instant is kept exactly.
  EXPECT_EQ(ParseRfc3339("2025-12-20T03:00:17.000000001+03:00"), At(day, 17 * kSecond + 1));
  EXPECT_EQ(ParseRfc3339("2025-12-19T23:30:17-00:30"), At(day, 17 * kSecond));
  EXPECT_EQ(ParseRfc3339("0001-01-01T00:00:00Z"), kGoZeroTime);
  for (const char* bad :
       {"", "2025-12-20", "2025-12-20T00:00:17", "2025-12-20T00:00:17.Z", "2025-12-20 00:00:17Z",
        "2025-12-20T00:00:17.1234567890Z", "2025-13-20T00:00:17Z", "2025-02-30T00:00:17Z",
        "2025-12-20T24:00:00Z", "2025-12-20T00:00:17+0300", "2025-12-20T00:00:17Zjunk",
        "1000-01-01T00:00:00Z", "9999-01-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

TEST(GoTimeTest, RoundTripsEveryPrecision) {
  using namespace std::chrono;
  const sys_days day = 2024y / February / 29;
  for (int64_t nanos : {int64_t{0}, int64_t{1}, int64_t{10}, int64_t{123456789}, int64_t{500000000},
                        int64_t{86399} * kSecond + 999999999}) {
    const Timestamp t = At(day, nanos);
    EXPECT_EQ(ParseRfc3339(FormatRfc3339Nano(t)), t) << FormatRfc3339Nano(t);
  }
}

// A v2 sentinel as WAL-G 3.x writes it for a full backup.
constexpr std::string_view kWalGFullSentinel =
    R"({"LSN":3325915299880,"PgVersion":150015,"FinishLSN":3325916080832,"SystemIdentifier":7507672962298572862,)"
    R"("UncompressedSize":2604967632,"CompressedSize":858502390,"DataCatalogSize":2604000000,"Spec":null,)"
    R"("ChkpNum":null,"Version":2,"StartTime":"2025-12-20T02:00:01.793015Z","FinishTime":"2025-12-20T02:00:18.538578Z",)"
    R"("DateFmt":"%Y-%m-%dT%H:%M:%S.%fZ","Hostname":"superpg","DataDir":"/pgroot/data","IsPermanent":false})";

TEST(BackupSentinelTest, ReadsWalGsFullBackupSentinel) {
  BackupSentinel s =
      ParseBackupSentinel(kWalGFullSentinel, "basebackups_005/x_backup_stop_sentinel.json");
  EXPECT_EQ(s.lsn, 3325915299880u);
  EXPECT_EQ(s.finish_lsn, 3325916080832u);
  EXPECT_EQ(s.pg_version, 150015);
  EXPECT_EQ(s.system_identifier, 7507672962298572862u);
  EXPECT_EQ(s.uncompressed_size, 2604967632);
  EXPECT_EQ(s.compressed_size, 858502390);
  EXPECT_EQ(s.data_catalog_size, 2604000000);
  EXPECT_FALSE(s.spec);
  EXPECT_FALSE(s.IsDelta());
  EXPECT_FALSE(s.delta_lsn);
  EXPECT_EQ(s.version, 2);
  EXPECT_EQ(FormatRfc3339Nano(s.start_time), "2025-12-20T02:00:01.793015Z");
  EXPECT_EQ(FormatRfc3339Nano(s.finish_time), "2025-12-20T02:00:18.538578Z");
  EXPECT_EQ(s.date_fmt, "%Y-%m-%dT%H:%M:%S.%fZ");
  EXPECT_EQ(s.hostname, "superpg");
  EXPECT_EQ(s.data_dir, "/pgroot/data");
  EXPECT_FALSE(s.is_permanent);
  EXPECT_FALSE(s.has_embedded_files);
  EXPECT_TRUE(s.user_data.empty());
  // Written back, it is the same document byte for byte (Go's field order, no whitespace).
  EXPECT_EQ(SerializeBackupSentinel(s), kWalGFullSentinel);
}

TEST(BackupSentinelTest, DeltaSentinelWithSpecAndUserDataRoundTrips) {
  BackupSentinel s;
  s.lsn = 0xFFFFFFFFFFFFFF00ull;  // above 2^63: must stay an exact JSON number
  s.delta_lsn = 0x5000028;
  s.delta_from = "base_000000010000000000000005";
  s.delta_full_name = "base_000000010000000000000002";
  s.delta_count = 2;
  s.pg_version = 150004;
  s.finish_lsn = 0x7000100;
  s.system_identifier = 1;
  s.timeline = 3;
  s.uncompressed_size = 10;
  s.compressed_size = 5;
  s.spec = TablespaceSpec{
      "/pgdata/",
      {"16384", "16385"},
      {{"16384", {"/ts/one", "pg_tblspc/16384"}}, {"16385", {"/ts/two", "pg_tblspc/16385"}}}};
  s.user_data = R"({"b":1,"a":[true,null,"x"]})";
  s.files_metadata_disabled = true;
  s.start_time = At(std::chrono::sys_days{std::chrono::days{20000}}, 123);
  s.finish_time = s.start_time + std::chrono::seconds(5);
  s.hostname = "host";
  s.data_dir = "/pgdata";
  s.is_permanent = true;
  const std::string json = SerializeBackupSentinel(s);
  EXPECT_NE(json.find(R"("LSN":18446744073709551360,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("DeltaLSN":83886120,"DeltaFrom":"base_000000010000000000000005",)"
                      R"("DeltaFullName":"base_000000010000000000000002","DeltaCount":2,)"),
            std::string::npos)
      << json;
  // Go marshals the spec through a map: sorted keys.
  EXPECT_NE(
      json.find(R"("Spec":{"16384":{"loc":"/ts/one","link":"pg_tblspc/16384"},)"
                R"("16385":{"loc":"/ts/two","link":"pg_tblspc/16385"},"base_prefix":"/pgdata/",)"
                R"("tablespaces":["16384","16385"]})"),
      std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("UserData":{"b":1,"a":[true,null,"x"]},"FilesMetadataDisabled":true,)"),
            std::string::npos)
      << json;
  EXPECT_EQ(ParseBackupSentinel(json, "k"), s);
}

TEST(BackupSentinelTest, ReadsOldSentinelsWithEmbeddedFilesAndWalESpec) {
  // WAL-G 0.2 / WAL-E era: DeltaFromLSN, the file list inside the sentinel, lower-case "spec".
  constexpr std::string_view kOld =
      R"({"LSN":83886120,"DeltaFromLSN":50331688,"DeltaFrom":"base_000000010000000000000003",)"
      R"("DeltaFullName":"base_000000010000000000000003","DeltaCount":1,)"
      R"("Files":{"/PG_VERSION":{"IsIncremented":false,"IsSkipped":true,"MTime":"2019-01-02T03:04:05.5+03:00"}},)"
      R"("TarFileSets":{"part_1.tar.lz4":["/PG_VERSION"]},"PgVersion":110005,"FinishLSN":83886336,)"
      R"("spec":{"base_prefix":"/var/lib/pg","tablespaces":["16400"],"16400":{"loc":"/ts","link":"pg_tblspc/16400"}},)"
      R"("UserData":"label","SomethingNew":{"x":[1,2]}})";
  BackupSentinel s = ParseBackupSentinel(kOld, "k");
  EXPECT_EQ(s.lsn, 83886120u);
  EXPECT_EQ(s.delta_lsn, 50331688u);
  EXPECT_TRUE(s.IsDelta());
  EXPECT_EQ(s.delta_count, 1);
  EXPECT_EQ(s.pg_version, 110005);
  EXPECT_TRUE(s.has_embedded_files);
  ASSERT_TRUE(s.spec);
  EXPECT_EQ(s.spec->base_prefix, "/var/lib/pg");
  EXPECT_EQ(s.spec->locations.at("16400").location, "/ts");
  EXPECT_EQ(s.user_data, R"("label")");
  EXPECT_EQ(s.version, 0);
}

TEST(BackupSentinelTest, BadDocumentsAreCorruptionNamingTheObjectAndField) {
  const std::string key = "basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json";
  struct Case {
    std::string json;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"", "invalid JSON"},
           {"{\"LSN\":1", "invalid JSON"},
           {"[1]", "expected a JSON object"},
           {"{}", "field \"LSN\" is missing"},
           {R"({"LSN":"0/1000000"})", "field \"LSN\" must be an unsigned integer"},
           {R"({"LSN":-1})", "field \"LSN\" must be an unsigned integer"},
           {R"({"LSN":1.5})", "field \"LSN\" must be an unsigned integer"},
           {R"({"LSN":1,"PgVersion":99999999999})", "field \"PgVersion\" is out of range"},
           {R"({"LSN":1,"IsPermanent":"yes"})", "field \"IsPermanent\" must be true or false"},
           {R"({"LSN":1,"StartTime":"yesterday"})", "field \"StartTime\" is not an RFC 3339 time"},
           {R"({"LSN":1,"DeltaFrom":"base_000000010000000000000001"})",
            "field \"DeltaLSN\" is missing"},
           {R"({"LSN":1,"Spec":{"tablespaces":[]}})", "field \"base_prefix\" is missing"},
           {R"({"LSN":1,"Spec":{"base_prefix":"/","tablespaces":["1"]}})",
            "field \"1\" is missing"},
           {std::string(100, '[') + std::string(100, ']'), "nested deeper"},
       }) {
    Error e = ExpectError([&] { ParseBackupSentinel(c.json, key); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << c.json;
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
  }
}

TEST(BackupSentinelTest, DamagedBytesAreQuotedEscapedAndBounded) {
  // A damaged document may hold anything: a terminal escape sequence, NULs, invalid UTF-8, a
  // megabyte on one line. The error line must stay one short, printable line.
  const std::string key = "basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json";
  const std::string garbage = "\x1b[31m\x01\xff\xfe" + std::string(100000, 'A');
  for (const std::string& json : std::vector<std::string>{
           "{\"LSN\":1,\"StartTime\":\"\\u001b[31m" + std::string(100000, 'A') + "\"}",
           "{\"LSN\":\"\\u001b]0;x\\u0007" + std::string(100000, 'B') + "\"}",
           "{\"LSN\":" + garbage + "}",
           garbage,
           "{\"LSN\":1,\"" + garbage + "\":1,\"Hostname\":[1]}",
       }) {
    Error e = ExpectError([&] { ParseBackupSentinel(json, key); });
    std::string message = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(message.find(key), std::string::npos) << message;
    EXPECT_LT(message.size(), 800u) << message;
    for (char c : message) {
      auto byte = static_cast<unsigned char>(c);
      EXPECT_TRUE(byte >= 0x20 && byte < 0x7f) << "raw byte " << int(byte) << " in " << message;
    }
  }
  Error e = ExpectError(
      [&] { ParseBackupSentinel("{\"LSN\":1,\"StartTime\":\"\\u001b[31mred\"}", key); });
  EXPECT_NE(std::string(e.what()).find("\\x1b[31mred"), std::string::npos) << e.what();
}

TEST(BackupSentinelTest, WalnutSha256RoundTripsAndIsLeftOutWhenEmpty) {
  BackupSentinel s;
  s.lsn = 1;
  EXPECT_EQ(SerializeBackupSentinel(s).find("WalnutSha256"), std::string::npos);
  s.stored_sha256 = {{"files_metadata.json", std::string(64, 'a')},
                     {"tar_partitions/part_001.tar.lz4", std::string(64, 'b')}};
  std::string json = SerializeBackupSentinel(s);
  EXPECT_NE(json.find(R"("WalnutSha256":{"files_metadata.json":")"), std::string::npos) << json;
  EXPECT_EQ(ParseBackupSentinel(json, "k").stored_sha256, s.stored_sha256);
  EXPECT_EQ(
      ExpectError([&] { ParseBackupSentinel(R"({"LSN":1,"WalnutSha256":[1]})", "k"); }).code(),
      ErrorCode::kCorruption);
}

TEST(BackupSentinelTest, InvalidUserDataIsRejectedOnWrite) {
  BackupSentinel s;
  s.user_data = "{not json";
  EXPECT_EQ(ExpectError([&] { SerializeBackupSentinel(s); }).code(), ErrorCode::kInvalidArgument);
}

std::string Fixture() {
  return testing::ReadFile(std::string(WALNUT_TEST_SOURCE_DIR) +
                           "/tests/unit/backup/testdata/walg-backup-list-detail.json");
}

TEST(ExtendedMetadataTest, ReadsTheMetadataFieldsOfWalGsBackupListDetail) {
  // backup-list --detail --json objects are metadata.json plus the list fields: each one parses as
  // metadata (unknown fields ignored) and writes back the same metadata fields and values.
  const auto fixture = nlohmann::ordered_json::parse(Fixture());
  ASSERT_EQ(fixture.size(), 11u);
  for (const auto& entry : fixture) {
    ExtendedMetadata m = ParseExtendedMetadata(entry.dump(), "metadata.json");
    EXPECT_EQ(m.start_lsn, entry["start_lsn"].get<uint64_t>());
    EXPECT_EQ(m.system_identifier, entry["system_identifier"].get<uint64_t>());
    EXPECT_EQ(FormatRfc3339Nano(m.start_time), entry["start_time"].get<std::string>());
    EXPECT_EQ(FormatRfc3339Nano(m.finish_time), entry["finish_time"].get<std::string>());
    auto written = nlohmann::ordered_json::parse(SerializeExtendedMetadata(m));
    for (const auto& [field, value] : written.items()) EXPECT_EQ(value, entry[field]) << field;
    EXPECT_EQ(written.size() + 4,
              entry.size());  // + backup_name, time, wal_file_name, storage_name
  }
}

TEST(ExtendedMetadataTest, WritesGoFieldOrderNullIdentifierAndOmitsEmptyUserData) {
  ExtendedMetadata m;
  m.start_time = *ParseRfc3339("2025-12-30T10:10:02.571453Z");
  m.finish_time = *ParseRfc3339("2025-12-30T10:10:11.51102Z");
  m.hostname = "superpg";
  m.data_dir = "/pgroot/data";
  m.pg_version = 150015;
  m.start_lsn = 3885787775016;
  m.finish_lsn = 3885787953104;
  m.uncompressed_size = 399392194;
  m.compressed_size = 209052691;
  EXPECT_EQ(
      SerializeExtendedMetadata(m),
      R"({"start_time":"2025-12-30T10:10:02.571453Z","finish_time":"2025-12-30T10:10:11.51102Z",)"
      R"("date_fmt":"%Y-%m-%dT%H:%M:%S.%fZ","hostname":"superpg","data_dir":"/pgroot/data",)"
      R"("pg_version":150015,"start_lsn":3885787775016,"finish_lsn":3885787953104,"is_permanent":false,)"
      R"("system_identifier":null,"uncompressed_size":399392194,"compressed_size":209052691})");
  m.user_data = R"({"k":"v"})";
  m.is_permanent = true;
  EXPECT_EQ(ParseExtendedMetadata(SerializeExtendedMetadata(m), "k"), m);
}

TEST(ExtendedMetadataTest, FromSentinelCopiesTheSharedFields) {
  BackupSentinel s = ParseBackupSentinel(kWalGFullSentinel, "k");
  s.user_data = "[1]";
  ExtendedMetadata m = MetadataFromSentinel(s);
  EXPECT_EQ(m.start_lsn, s.lsn);
  EXPECT_EQ(m.finish_lsn, s.finish_lsn);
  EXPECT_EQ(m.start_time, s.start_time);
  EXPECT_EQ(m.hostname, "superpg");
  EXPECT_EQ(m.system_identifier, s.system_identifier);
  EXPECT_EQ(m.user_data, "[1]");
  EXPECT_EQ(m.compressed_size, s.compressed_size);
}

TEST(TablespaceSpecTest, RestoreSpecShapeRoundTrips) {
  const std::string text =
      R"({"base_prefix":"/data","tablespaces":["16384"],"16384":{"loc":"/mnt/ts","link":"pg_tblspc/16384"}})";
  TablespaceSpec spec = ParseTablespaceSpec(text, "restore-spec.json");
  EXPECT_EQ(spec.names, std::vector<std::string>{"16384"});
  EXPECT_EQ(ParseTablespaceSpec(SerializeTablespaceSpec(spec), "k"), spec);
}

}  // namespace
}  // namespace walnut
