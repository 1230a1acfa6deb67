#include "daemon/protocol/protocol.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "daemon/protocol/daemon_client.h"
#include "support/test_util.h"

namespace walnut::daemon {
namespace {

using testing::ExpectError;
using namespace std::string_literals;

TEST(DaemonProtocolTest, PushMessageIsWalGsBytes) {
  // WAL-G's own daemon test sends "F\x00\x1B" and a 24-character segment name.
  std::string name = "00000001000000000000000A";
  EXPECT_EQ(EncodeRequest(MessageType::kWalPush, {name}), "F\x00\x1B"s + name);
  EXPECT_EQ(EncodeRequest(MessageType::kCheck, {}), "C\x00\x03"s);
}

TEST(DaemonProtocolTest, FetchMessageCarriesCountedArguments) {
  std::string message =
      EncodeRequest(MessageType::kWalFetch, {"00000001000000000000000A", "pg_wal/RECOVERYXLOG"});
  std::string body = "\x02"s + "\x00\x18"s + "00000001000000000000000A" + "\x00\x13"s +
                     "pg_wal/RECOVERYXLOG";
  ASSERT_EQ(message.size(), 3 + body.size());
  EXPECT_EQ(message.substr(0, 3), "f\x00"s + static_cast<char>(3 + body.size()));
  EXPECT_EQ(message.substr(3), body);
  EXPECT_EQ(DecodeArgs(body),
            (std::vector<std::string>{"00000001000000000000000A", "pg_wal/RECOVERYXLOG"}));
}

TEST(DaemonProtocolTest, HeaderLengthCountsTheHeader) {
  Header header = DecodeHeader("C\x00\x08"s);  // WAL-G's test: "C\x0\x8" then "CHECK"
  EXPECT_EQ(header.type, 'C');
  EXPECT_EQ(header.body_size, 5u);
  EXPECT_EQ(DecodeHeader("O\x00\x03"s).body_size, 0u);
  EXPECT_EQ(DecodeHeader("F\xFF\xFF"s).body_size, kMaxBodySize);
}

TEST(DaemonProtocolTest, LengthBelowTheHeaderIsRefused) {
  for (const std::string& header : {"F\x00\x00"s, "F\x00\x02"s}) {
    Error e = ExpectError([&] { DecodeHeader(header); });
    EXPECT_EQ(e.code(), ErrorCode::kProtocol);
    EXPECT_NE(std::string(e.what()).find("below the header"), std::string::npos) << e.what();
  }
}

TEST(DaemonProtocolTest, MalformedArgumentsAreOneLineErrors) {
  for (const std::string& body :
       {""s, "\x01"s, "\x01\x00"s, "\x01\x00\x05" "abc"s, "\x01\x00\x01" "ab"s, "\x00x"s}) {
    Error e = ExpectError([&] { DecodeArgs(body); });
    EXPECT_EQ(e.code(), ErrorCode::kProtocol);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  EXPECT_TRUE(DecodeArgs("\x00"s).empty());
}

TEST(DaemonProtocolTest, TooLongMessagesAreRefusedWhenEncoding) {
  EXPECT_NO_THROW(EncodeMessage(MessageType::kWalPush, std::string(kMaxBodySize, 'a')));
  EXPECT_EQ(ExpectError([] { EncodeMessage(MessageType::kWalPush, std::string(kMaxBodySize + 1, 'a')); })
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ExpectError([] { EncodeArgs({std::string(kMaxBodySize, 'a')}); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ExpectError([] { EncodeArgs(std::vector<std::string>(256, "a")); }).code(),
            ErrorCode::kInvalidArgument);
}

TEST(DaemonProtocolTest, ArgumentsRoundTrip) {
  std::vector<std::string> args{"", "a", std::string(300, 'x'), "with\0nul"s};
  EXPECT_EQ(DecodeArgs(EncodeArgs(args)), args);
}

TEST(DaemonProtocolTest, TypesAreDescribed) {
  EXPECT_EQ(DescribeType('N'), "not archived");
  EXPECT_EQ(DescribeType('\x07'), "0x07");
}

}  // namespace
}  // namespace walnut::daemon
