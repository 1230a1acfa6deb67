#include "observe/statsd.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/udp_listener.h"

namespace walnut::observe {
namespace {

using walnut::testing::UdpListener;

stats::Snapshot Sample() {
  stats::Snapshot s;
  s.uploaded_files = 7;
  s.uploaded_files_failed = 1;
  s.s3_bytes_written = 4096;
  s.s3_bytes_read = 512;
  s.s3_responses = {{200, 9}, {404, 2}};
  return s;
}

TEST(StatsdTest, LinesAreWalGsNamesInItsOrderWithInfluxTags) {
  EXPECT_EQ(StatsdLines(Sample(), {{"env", "prod"}, {"cluster", "main"}}),
            (std::vector<std::string>{
                "walg_s3_bytes_read,cluster=main,env=prod:512|g",
                "walg_s3_bytes_written,cluster=main,env=prod:4096|g",
                "walg_s3_response_,code=200,cluster=main,env=prod:9|g",
                "walg_s3_response_,code=404,cluster=main,env=prod:2|g",
                "walg_uploader_uploaded_files_failed_total,cluster=main,env=prod:1|c",
                "walg_uploader_uploaded_files_total,cluster=main,env=prod:7|c",
            }));
  EXPECT_EQ(StatsdLines(stats::Snapshot{}, {}),
            (std::vector<std::string>{"walg_s3_bytes_read:0|g", "walg_s3_bytes_written:0|g",
                                      "walg_uploader_uploaded_files_failed_total:0|c",
                                      "walg_uploader_uploaded_files_total:0|c"}));
}

TEST(StatsdTest, ExtraTagsAreAJsonObject) {
  EXPECT_EQ(ParseStatsdTags(R"({"env": "prod", "shard": 3})"),
            (std::map<std::string, std::string>{{"env", "prod"}, {"shard", "3"}}));
  EXPECT_TRUE(ParseStatsdTags("").empty());
  EXPECT_THROW(ParseStatsdTags(R"(["env"])"), Error);
  EXPECT_THROW(ParseStatsdTags("{not json"), Error);
}

TEST(StatsdTest, SendsTheLinesInOneDatagramToAUdpSocket) {
  UdpListener listener;
  std::vector<std::string> lines = StatsdLines(Sample(), {{"env", "prod"}});
  SendStatsd(listener.address(), lines);
  std::string expected;
  for (const auto& l : lines) expected += (expected.empty() ? "" : "\n") + l;
  EXPECT_EQ(listener.Receive(), expected);
}

TEST(StatsdTest, SplitsLinesIntoDatagramsOfAtMost1432Bytes) {
  UdpListener listener;
  std::vector<std::string> lines(30, std::string(100, 'x') + ":1|c");
  SendStatsd(listener.address(), lines);
  size_t received_lines = 0;
  for (int i = 0; i < 3; ++i) {
    std::string d = listener.Receive();
    ASSERT_FALSE(d.empty()) << "datagram " << i;
    EXPECT_LE(d.size(), 1432u);
    received_lines += static_cast<size_t>(std::count(d.begin(), d.end(), '\n')) + 1;
  }
  EXPECT_EQ(received_lines, lines.size());
}

TEST(StatsdTest, BadAddressIsOneLineNamingTheSetting) {
  try {
    SendStatsd("no-port", {"x:1|c"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("WALG_STATSD_ADDRESS"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SendStatsd("host.invalid:8125", {"x:1|c"}), Error);
}

TEST(StatsdTest, ProcessCountersAddUp) {
  const stats::Snapshot before = stats::Take();
  stats::CountUploadedFile(true);
  stats::CountUploadedFile(false);
  stats::CountS3Response(503, 100);
  stats::CountS3BytesRead(20);
  const stats::Snapshot after = stats::Take();
  EXPECT_EQ(after.uploaded_files, before.uploaded_files + 1);
  EXPECT_EQ(after.uploaded_files_failed, before.uploaded_files_failed + 1);
  EXPECT_EQ(after.s3_bytes_written, before.s3_bytes_written + 100);
  EXPECT_EQ(after.s3_bytes_read, before.s3_bytes_read + 20);
  EXPECT_EQ(after.s3_responses.at(503), before.s3_responses.count(503) ? before.s3_responses.at(503) + 1 : 1);
}

}  // namespace
}  // namespace walnut::observe
