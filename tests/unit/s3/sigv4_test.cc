// SigV4 against the worked examples of
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// (s3rver does not check signatures, so these vectors are what keeps the signer honest).

#include "storage/s3/sigv4.h"

#include <gtest/gtest.h>

#include "common/bytes.h"

namespace walnut::s3 {
namespace {

constexpr std::string_view kAmzDate = "20130524T000000Z";
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";

SigV4Signer ExampleSigner(std::string session_token = "") {
  return SigV4Signer(
      Credentials{"AKIAIOSFODNN7EXAMPLE", SecretString("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                  SecretString(std::move(session_token))},
      "us-east-1");
}

std::string SignatureOf(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

TEST(SigV4Test, EmptyPayloadHash) { EXPECT_EQ(Sha256Hex({}), kEmptyPayloadSha256); }

TEST(SigV4Test, AwsExampleGetObjectWithRange) {
  net::HttpHeaders headers = {{"Host", std::string(kHost)},
                              {"Range", "bytes=0-9"},
                              {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)},
                              {"x-amz-date", std::string(kAmzDate)}};
  net::QueryParams query;
  SigningInput in{"GET", "/test.txt", &query, &headers, kEmptyPayloadSha256};
  std::string canonical = CanonicalRequest(in);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(kAmzDate, "20130524/us-east-1/s3/aws4_request", canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(ExampleSigner().Authorization(in, kAmzDate),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, AwsExamplePutObject) {
  const std::string body = "Welcome to Amazon S3.";
  std::string payload = Sha256Hex(AsBytes(body));
  ASSERT_EQ(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  // The key "test$file.text" is sent and signed encoded once.
  std::string uri = "/" + net::UriEncode("test$file.text", true);
  ASSERT_EQ(uri, "/test%24file.text");
  net::HttpHeaders headers = {{"Host", std::string(kHost)},
                              {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                              {"x-amz-date", std::string(kAmzDate)},
                              {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                              {"x-amz-content-sha256", payload}};
  net::QueryParams query;
  SigningInput in{"PUT", uri, &query, &headers, payload};
  EXPECT_EQ(StringToSign(kAmzDate, "20130524/us-east-1/s3/aws4_request", CanonicalRequest(in)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  std::string auth = ExampleSigner().Authorization(in, kAmzDate);
  EXPECT_NE(
      auth.find("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"),
      std::string::npos)
      << auth;
  EXPECT_EQ(SignatureOf(auth), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, AwsExampleGetBucketLifecycle) {
  net::HttpHeaders headers = {{"Host", std::string(kHost)},
                              {"x-amz-date", std::string(kAmzDate)},
                              {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)}};
  net::QueryParams query = {{"lifecycle", ""}};
  SigningInput in{"GET", "/", &query, &headers, kEmptyPayloadSha256};
  std::string canonical = CanonicalRequest(in);
  EXPECT_EQ(canonical.substr(0, canonical.find("host:")), "GET\n/\nlifecycle=\n");
  EXPECT_EQ(StringToSign(kAmzDate, "20130524/us-east-1/s3/aws4_request", canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(SignatureOf(ExampleSigner().Authorization(in, kAmzDate)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Test, AwsExampleListObjectsSortsTheQuery) {
  net::HttpHeaders headers = {{"Host", std::string(kHost)},
                              {"x-amz-date", std::string(kAmzDate)},
                              {"x-amz-content-sha256", std::string(kEmptyPayloadSha256)}};
  net::QueryParams query = {{"prefix", "J"}, {"max-keys", "2"}};  // deliberately unsorted
  SigningInput in{"GET", "/", &query, &headers, kEmptyPayloadSha256};
  EXPECT_EQ(SignatureOf(ExampleSigner().Authorization(in, kAmzDate)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, CanonicalQueryEncodesValuesLikeContinuationTokens) {
  // s3rver's tokens contain '/', '+' and '='; AWS's may too. They must be encoded (and not as
  // '+' for space) both on the wire and in the canonical request.
  net::QueryParams query = {{"list-type", "2"},
                            {"continuation-token", "1ab/c+d=="},
                            {"prefix", "base backups/ü"},
                            {"delete", ""}};
  EXPECT_EQ(net::CanonicalQueryString(query),
            "continuation-token=1ab%2Fc%2Bd%3D%3D&delete=&list-type=2&"
            "prefix=base%20backups%2F%C3%BC");
}

TEST(SigV4Test, HeaderValuesAreTrimmedAndSpacesCollapsed) {
  net::HttpHeaders headers = {{"Host", "h"}, {"X-Amz-Meta-Note", "  a   b  c "}};
  SigningInput in{"GET", "/k", nullptr, &headers, kEmptyPayloadSha256};
  EXPECT_NE(CanonicalRequest(in).find("\nx-amz-meta-note:a b c\n"), std::string::npos);
}

TEST(SigV4Test, SignAddsDateContentHashTokenAndAuthorization) {
  net::HttpRequest request;
  request.method = "GET";
  request.headers = {{"Host", std::string(kHost)}, {"Range", "bytes=0-9"}};
  auto t = std::chrono::system_clock::from_time_t(1369353600);  // 2013-05-24T00:00:00Z
  ExampleSigner().Sign(request, "/test.txt", {}, kEmptyPayloadSha256, t);
  auto header = [&](std::string_view name) {
    for (const auto& [n, v] : request.headers) {
      if (n == name) return v;
    }
    return std::string("<missing>");
  };
  EXPECT_EQ(header("x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(header("x-amz-content-sha256"), kEmptyPayloadSha256);
  EXPECT_EQ(header("x-amz-security-token"), "<missing>");
  // Same inputs as the AWS GET example: same signature.
  EXPECT_EQ(SignatureOf(header("Authorization")),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, SessionTokenIsSentAndSigned) {
  net::HttpRequest with_token;
  with_token.method = "GET";
  with_token.headers = {{"Host", std::string(kHost)}};
  auto t = std::chrono::system_clock::from_time_t(1369353600);
  ExampleSigner("FQoGZXIvYXdzEXAMPLETOKEN").Sign(with_token, "/test.txt", {}, kUnsignedPayload, t);
  std::string auth;
  bool has_token = false;
  for (const auto& [n, v] : with_token.headers) {
    if (n == "Authorization") auth = v;
    if (n == "x-amz-security-token") has_token = v == "FQoGZXIvYXdzEXAMPLETOKEN";
  }
  EXPECT_TRUE(has_token);
  EXPECT_NE(auth.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos)
      << auth;

  net::HttpRequest without_token;
  without_token.method = "GET";
  without_token.headers = {{"Host", std::string(kHost)}};
  ExampleSigner().Sign(without_token, "/test.txt", {}, kUnsignedPayload, t);
  EXPECT_NE(SignatureOf(auth), SignatureOf(without_token.headers.back().second));
}

TEST(SigV4Test, AnonymousRequestsAreNotSigned) {
  SigV4Signer anonymous(Credentials{}, "us-east-1");
  net::HttpRequest request;
  request.method = "GET";
  request.headers = {{"Host", "h"}};
  anonymous.Sign(request, "/k", {}, kUnsignedPayload, std::chrono::system_clock::now());
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.headers[1].first, "x-amz-content-sha256");
  EXPECT_EQ(request.headers[1].second, "UNSIGNED-PAYLOAD");
}

TEST(SigV4Test, SigningKeyMatchesTheIamExample) {
  // From the IAM SigV4 documentation: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
  // 20120215, us-east-1, iam.
  EXPECT_EQ(HexEncode(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                 "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, ContentMd5IsBase64) {
  EXPECT_EQ(Md5Base64(AsBytes("")), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(Md5Base64(AsBytes("hello")), "XUFAKrxLKna5cZ2REBfFkg==");
}

}  // namespace
}  // namespace walnut::s3
