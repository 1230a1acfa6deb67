#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/retry.h"
#include "common/secret_string.h"

namespace walnut::azure {

// How requests prove who sends them.
enum class AzureAuth {
  kSharedKey,         // AZURE_STORAGE_ACCESS_KEY (or AccountKey): each request signed (shared_key.h)
  kSas,               // AZURE_STORAGE_SAS_TOKEN (or SharedAccessSignature): appended to each URL
  kManagedIdentity,   // neither: a bearer token from the instance metadata service
};

// Everything the Azure backend needs, filled from WAL-G's settings (azure_settings.h) and checked
// by AzureStorage's constructor.
struct AzureOptions {
  std::string account;    // AZURE_STORAGE_ACCOUNT (or AccountName)
  std::string container;  // from azure://container/path
  std::string root;       // "" or "a/b"
  // Where the account's blob service answers, without a trailing '/':
  // "https://ACCOUNT.blob.core.windows.net", or a connection string's BlobEndpoint such as
  // azurite's path-style "http://127.0.0.1:10000/devstoreaccount1".
  std::string endpoint;
  AzureAuth auth = AzureAuth::kSharedKey;
  SecretString access_key;  // base64, as the portal shows it
  SecretString sas_token;   // the query string, without a leading '?'
  // For messages: the setting the credentials came from ("AZURE_STORAGE_ACCESS_KEY",
  // "AccountKey of AZURE_STORAGE_CONNECTION_STRING", ...).
  std::string credential_source;
  // Managed identity: the metadata service (AZURE_POD_IDENTITY_AUTHORITY_HOST, as the Azure
  // Identity SDKs read it) and the identity (AZURE_CLIENT_ID; empty = the system-assigned one).
  std::string imds_endpoint = "http://169.254.169.254";
  std::string client_id;
  std::string api_version = "2021-08-06";  // x-ms-version; AZURE_BLOB_STORE_API_VERSION
  // WALG_AZURE_BUFFER_SIZE and WALG_AZURE_MAX_BUFFERS: one Put holds at most max_buffers buffers of
  // buffer_size bytes (one filling, the others in flight as Put Block requests).
  size_t buffer_size = 8u << 20;
  size_t max_buffers = 4;
  size_t read_chunk_size = 8u << 20;  // bytes per ranged Get Blob
  int list_max_results = 5000;        // blobs per List Blobs page (1..5000); small in tests
  size_t delete_concurrency = 8;      // Delete Blob requests in flight
  // Each request within WALNUT_STORAGE_RETRY_TIMEOUT, retried with backoff on 5xx, 429 and
  // network errors.
  RetryPolicy retry{.budget = std::chrono::seconds(30)};
  // AZURE_TRY_TIMEOUT: one try is abandoned when no byte moved for this long, if that is shorter
  // than the stall timeout derived from the retry budget. 0 = none.
  std::chrono::milliseconds try_timeout{0};
};

}  // namespace walnut::azure
