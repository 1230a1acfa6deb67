#pragma once

#include <map>
#include <string>
#include <string_view>

#include "storage/azure/azure_options.h"

namespace walnut::testing {

// The azurite of the azurite fixture (tests/tools/azurite-server.sh, started by ctest as
// azurite_up), as its DIR/env describes it.
struct AzuriteServer {
  std::string endpoint;   // path-style: http://127.0.0.1:PORT/devstoreaccount1
  std::string account;    // devstoreaccount1
  std::string key;        // its well-known key (base64)
  std::string container;  // created by the fixture
  std::string sas;        // an account SAS token (query string) for the blob service
};

// The fixture's server. Throws std::runtime_error naming the env file when the fixture did not
// run (outside ctest, or without node_modules): a missing server fails, never skips.
const AzuriteServer& Azurite();

// A root below the fixture's container that no other test or run shares ("what-PID-MS-N").
std::string UniqueAzureRoot(std::string_view what);

// Options for an AzureStorage on the fixture's container under a fresh root, signing with the key.
azure::AzureOptions AzureTestOptions(std::string_view what);

// The settings of a walnut command on the fixture's container under a fresh root: WALG_AZ_PREFIX
// and AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey, BlobEndpoint: how a path-style
// endpoint is given).
std::map<std::string, std::string> AzureCliSettings(std::string_view what);

}  // namespace walnut::testing
