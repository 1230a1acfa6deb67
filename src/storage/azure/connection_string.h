#pragma once

#include <map>
#include <string>
#include <string_view>

namespace walnut::azure {

// The parts of an Azure Storage connection string that the blob service uses, as the Azure SDKs
// read AZURE_STORAGE_CONNECTION_STRING: "Key=Value" pairs separated by ';' (keys matched without
// regard to case, values kept as given, '=' allowed inside a value such as a base64 key).
struct ConnectionString {
  std::string account_name;              // AccountName
  std::string account_key;               // AccountKey (base64)
  std::string shared_access_signature;   // SharedAccessSignature (without a leading '?')
  std::string blob_endpoint;             // BlobEndpoint, without a trailing '/'
  std::string endpoint_suffix;           // EndpointSuffix
  std::string protocol;                  // DefaultEndpointsProtocol ("https" unless given)
};

// Parses `text`. UseDevelopmentStorage=true stands for the local emulator (azurite's well-known
// account devstoreaccount1 on http://127.0.0.1:10000). Throws Error(kInvalidArgument) naming the
// setting and the part that is wrong, never a value (the string holds secrets).
ConnectionString ParseConnectionString(std::string_view text, std::string_view setting);

}  // namespace walnut::azure
