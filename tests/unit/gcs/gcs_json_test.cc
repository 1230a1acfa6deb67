// The JSON documents of the GCS JSON API and of Google's OAuth endpoints, as Walnut reads them.

#include "storage/gcs/gcs_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "support/test_util.h"

namespace walnut::gcs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using walnut::testing::ExpectError;

TEST(GcsJsonTest, AListingPageWithObjectsPrefixesAndAToken) {
  ListPage page = ParseListPage(R"({"kind":"storage#objects","nextPageToken":"t1",
      "prefixes":["a/b/"],"items":[{"name":"a/x","size":"123","generation":"17",
      "updated":"2026-10-06T12:00:00.5Z","metadata":{"walnut-sha256":"ab"}}]})");
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].name, "a/x");
  EXPECT_EQ(page.items[0].size, 123u);
  EXPECT_EQ(page.items[0].generation, "17");
  EXPECT_EQ(page.items[0].metadata.at("walnut-sha256"), "ab");
  EXPECT_EQ(page.prefixes, std::vector<std::string>{"a/b/"});
  EXPECT_EQ(page.next_page_token, "t1");
  EXPECT_TRUE(ParseListPage(R"({"kind":"storage#objects"})").items.empty());
}

TEST(GcsJsonTest, DamagedAnswersAreRetryableProtocolErrors) {
  for (const char* bad :
       {"", "[]", "{", R"({"items":{}})", R"({"items":[{"size":"1"}]})",
        R"({"items":[{"name":"a","size":"-1"}]})", R"({"items":[{"name":"a","size":"12x"}]})",
        R"({"items":[{"name":"a","updated":"yesterday"}]})",
        R"({"items":[{"name":"a","metadata":{"k":1}}]})", R"({"prefixes":[1]})",
        R"({"nextPageToken":5})"}) {
    Error e = ExpectError([&] { ParseListPage(bad); });
    EXPECT_EQ(e.code(), ErrorCode::kProtocol) << bad;
    EXPECT_TRUE(e.retryable()) << bad;
  }
}

TEST(GcsJsonTest, ErrorDetailTakesTheMessageAndReason) {
  EXPECT_EQ(
      ErrorDetail(R"({"error":{"code":403,"message":"denied","errors":[{"reason":"forbidden"}]}})"),
      "denied (forbidden)");
  EXPECT_EQ(
      ErrorDetail(R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"),
      "invalid_grant: Invalid JWT Signature.");
  EXPECT_EQ(ErrorDetail(""), "");
  EXPECT_THAT(ErrorDetail("<html>bad gateway</html>"), HasSubstr("bad gateway"));
}

TEST(GcsJsonTest, TokenAnswers) {
  AccessToken token =
      ParseAccessToken(R"({"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"})");
  EXPECT_EQ(token.token.Reveal(), "ya29.x");
  EXPECT_EQ(token.expires_in, std::chrono::seconds(3599));
  for (const char* bad :
       {R"({"expires_in":10})", R"({"access_token":"x"})", R"({"access_token":"x","expires_in":0})",
        R"({"access_token":"x","expires_in":10,"token_type":"MAC"})"}) {
    EXPECT_EQ(ExpectError([&] { ParseAccessToken(bad); }).code(), ErrorCode::kProtocol) << bad;
  }
}

TEST(GcsJsonTest, CredentialsFilesNameTheFileAndNeverAValue) {
  CredentialsFile account = ParseCredentialsFile(
      R"({"type":"service_account","client_email":"a@b","private_key":"PEM","private_key_id":"k"})",
      "/etc/key.json");
  EXPECT_EQ(account.client_email, "a@b");
  EXPECT_EQ(account.token_uri, "https://oauth2.googleapis.com/token");
  CredentialsFile user = ParseCredentialsFile(
      R"({"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r",
          "token_uri":"http://127.0.0.1:1/token"})",
      "/home/u/adc.json");
  EXPECT_EQ(user.refresh_token.Reveal(), "r");
  EXPECT_EQ(user.token_uri, "http://127.0.0.1:1/token");
  for (const char* bad :
       {"not json", R"({"type":"external_account"})",
        R"({"type":"service_account","client_email":"a@b"})",
        R"({"type":"authorized_user","client_id":"c","client_secret":"s3cr3t"})"}) {
    Error e = ExpectError([&] { ParseCredentialsFile(bad, "/etc/key.json"); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("GOOGLE_APPLICATION_CREDENTIALS /etc/key.json"));
    EXPECT_THAT(e.what(), Not(HasSubstr("s3cr3t")));
  }
}

}  // namespace
}  // namespace walnut::gcs
