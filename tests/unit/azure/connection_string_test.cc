// AZURE_STORAGE_CONNECTION_STRING as the Azure SDKs read it.

#include "storage/azure/connection_string.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut::azure {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConnectionStringTest, ThePortalsForm) {
  ConnectionString cs = ParseConnectionString(
      "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5=;"
      "EndpointSuffix=core.chinacloudapi.cn",
      "AZURE_STORAGE_CONNECTION_STRING");
  EXPECT_EQ(cs.account_name, "acct");
  EXPECT_EQ(cs.account_key, "a2V5=");  // '=' inside a value stays
  EXPECT_EQ(cs.endpoint_suffix, "core.chinacloudapi.cn");
  EXPECT_EQ(cs.protocol, "https");
  EXPECT_EQ(cs.blob_endpoint, "");
}

TEST(ConnectionStringTest, KeysIgnoreCaseAndTheEndpointLosesItsSlash) {
  ConnectionString cs = ParseConnectionString(
      " accountname = a ; BLOBENDPOINT=http://127.0.0.1:10000/devstoreaccount1/;"
      "SharedAccessSignature=?sv=2020&sig=x%3D;QueueEndpoint=http://q;",
      "S");
  EXPECT_EQ(cs.account_name, "a");
  EXPECT_EQ(cs.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(cs.shared_access_signature, "sv=2020&sig=x%3D");
  EXPECT_EQ(cs.protocol, "https");
}

TEST(ConnectionStringTest, DevelopmentStorageIsAzurite) {
  ConnectionString cs = ParseConnectionString("UseDevelopmentStorage=true", "S");
  EXPECT_EQ(cs.account_name, "devstoreaccount1");
  EXPECT_EQ(cs.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_FALSE(cs.account_key.empty());
}

TEST(ConnectionStringTest, MalformedPartsAreNamedWithoutValues) {
  for (std::string_view bad : {"AccountName=a;AccountKey", "=secret", "x;AccountKey=s3cr3t"}) {
    try {
      ParseConnectionString(bad, "AZURE_STORAGE_CONNECTION_STRING");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_THAT(e.what(), HasSubstr("AZURE_STORAGE_CONNECTION_STRING: part "));
      EXPECT_THAT(e.what(), Not(HasSubstr("secret")));
      EXPECT_THAT(e.what(), Not(HasSubstr("s3cr3t")));
    }
  }
  EXPECT_THROW(ParseConnectionString("DefaultEndpointsProtocol=ftp", "S"), Error);
}

}  // namespace
}  // namespace walnut::azure
