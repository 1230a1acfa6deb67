#include "storage/azure/azure_settings.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "storage/azure/azure_storage.h"
#include "storage/azure/connection_string.h"
#include "storage/storage_url.h"

// Names, defaults and aliases from WAL-G's pkg/storages/azure/configure.go. WAL-G reads each
// storage setting X as WALG_X, WALE_X and X (StorageKey). AZURE_STORAGE_CONNECTION_STRING,
// AZURE_CLIENT_ID and AZURE_POD_IDENTITY_AUTHORITY_HOST are read as the Azure SDKs read them.

namespace walnut::azure {
namespace {

using K = SettingKind;

constexpr std::string_view kPublicCloud = "AzurePublicCloud";

std::string OptionalString(const Config& config, std::string_view name) {
  return config.Has(name) ? config.GetString(name) : std::string();
}

}  // namespace

std::span<const SettingSpec> AzureSettingSpecs() {
  static const std::vector<SettingSpec> specs = {
      DefineSetting("WALG_AZ_PREFIX", K::kString, "Azure Blob storage, azure://container/path")
          .Alias("WALE_AZ_PREFIX")
          .Implemented(),
      DefineSetting("AZURE_STORAGE_ACCOUNT", K::kString, "Azure storage account")
          .StorageKey("AZURE_STORAGE_ACCOUNT")
          .Implemented(),
      DefineSetting("AZURE_STORAGE_ACCESS_KEY", K::kString,
                    "Azure storage account key (SharedKey signing)")
          .StorageKey("AZURE_STORAGE_ACCESS_KEY")
          .Secret()
          .Implemented(),
      DefineSetting("AZURE_STORAGE_SAS_TOKEN", K::kString,
                    "Azure SAS token (used when no account key is given)")
          .StorageKey("AZURE_STORAGE_SAS_TOKEN")
          .Secret()
          .Implemented(),
      DefineSetting("AZURE_STORAGE_CONNECTION_STRING", K::kString,
                    "Azure connection string (AccountName, AccountKey, SharedAccessSignature, "
                    "BlobEndpoint, EndpointSuffix, DefaultEndpointsProtocol); the settings above "
                    "win over its parts")
          .Secret()
          .Implemented(),
      DefineSetting("AZURE_ENVIRONMENT_NAME", K::kString,
                    "Azure cloud: AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud or "
                    "AzureGermanCloud")
          .StorageKey("AZURE_ENVIRONMENT_NAME")
          .Default(kPublicCloud)
          .Implemented(),
      DefineSetting("AZURE_ENDPOINT_SUFFIX", K::kString,
                    "Azure storage endpoint suffix (default: the environment's, core.windows.net)")
          .StorageKey("AZURE_ENDPOINT_SUFFIX")
          .Implemented(),
      DefineSetting("WALG_AZURE_BUFFER_SIZE", K::kBytes,
                    "Azure upload buffer (block) size; one upload holds at most this x "
                    "WALG_AZURE_MAX_BUFFERS")
          .StorageKey("AZURE_BUFFER_SIZE")
          .Default("8388608")
          .Implemented(),
      DefineSetting("WALG_AZURE_MAX_BUFFERS", K::kInt,
                    "Azure upload buffers per upload (one filling, the others' blocks in flight)")
          .StorageKey("AZURE_MAX_BUFFERS")
          .Default("4")
          .Implemented(),
      DefineSetting("AZURE_TRY_TIMEOUT", K::kInt,
                    "minutes one Azure request try may go without progress (capped by the stall "
                    "timeout derived from WALNUT_STORAGE_RETRY_TIMEOUT)")
          .StorageKey("AZURE_TRY_TIMEOUT")
          .Default("5")
          .Implemented(),
      DefineSetting("AZURE_BLOB_STORE_API_VERSION", K::kString,
                    "x-ms-version sent to Azure (default 2021-08-06)")
          .StorageKey("AZURE_BLOB_STORE_API_VERSION")
          .Implemented(),
      DefineSetting("AZURE_CLIENT_ID", K::kString,
                    "managed identity: the client id of a user-assigned identity (when no key, "
                    "SAS token or connection string is given)")
          .Implemented(),
      DefineSetting("AZURE_POD_IDENTITY_AUTHORITY_HOST", K::kString,
                    "managed identity: the instance metadata endpoint (default "
                    "http://169.254.169.254)")
          .Implemented(),
  };
  return specs;
}

std::string EndpointSuffixForEnvironment(std::string_view environment_name) {
  if (environment_name == "AzureUSGovernmentCloud") return "core.usgovcloudapi.net";
  if (environment_name == "AzureChinaCloud") return "core.chinacloudapi.cn";
  if (environment_name == "AzureGermanCloud") return "core.cloudapi.de";
  return "core.windows.net";
}

AzureOptions AzureOptionsFromConfig(const Config& config, const Settings& common) {
  AzureOptions o;
  std::string_view setting = config.SpelledName("WALG_AZ_PREFIX");
  StorageUrl url = ParseStorageUrl(setting, config.GetString("WALG_AZ_PREFIX"), "azure");
  o.container = std::move(url.host);
  o.root = std::move(url.root);

  ConnectionString cs;
  if (config.Has("AZURE_STORAGE_CONNECTION_STRING")) {
    cs = ParseConnectionString(config.GetString("AZURE_STORAGE_CONNECTION_STRING"),
                               config.SpelledName("AZURE_STORAGE_CONNECTION_STRING"));
  }
  o.account = OptionalString(config, "AZURE_STORAGE_ACCOUNT");
  if (o.account.empty()) o.account = cs.account_name;
  if (o.account.empty()) {
    config.ThrowInvalid("AZURE_STORAGE_ACCOUNT",
                        "is required with WALG_AZ_PREFIX (or AccountName in "
                        "AZURE_STORAGE_CONNECTION_STRING)");
  }

  // As WAL-G: the key first, then the SAS token; then the connection string's; else a managed
  // identity.
  if (std::string key = OptionalString(config, "AZURE_STORAGE_ACCESS_KEY"); !key.empty()) {
    o.auth = AzureAuth::kSharedKey;
    o.access_key = SecretString(std::move(key));
    o.credential_source = std::string(config.SpelledName("AZURE_STORAGE_ACCESS_KEY"));
  } else if (std::string sas = OptionalString(config, "AZURE_STORAGE_SAS_TOKEN"); !sas.empty()) {
    o.auth = AzureAuth::kSas;
    o.sas_token = SecretString(sas.starts_with('?') ? sas.substr(1) : std::move(sas));
    o.credential_source = std::string(config.SpelledName("AZURE_STORAGE_SAS_TOKEN"));
  } else if (!cs.account_key.empty()) {
    o.auth = AzureAuth::kSharedKey;
    o.access_key = SecretString(cs.account_key);
    o.credential_source = "AccountKey of AZURE_STORAGE_CONNECTION_STRING";
  } else if (!cs.shared_access_signature.empty()) {
    o.auth = AzureAuth::kSas;
    o.sas_token = SecretString(cs.shared_access_signature);
    o.credential_source = "SharedAccessSignature of AZURE_STORAGE_CONNECTION_STRING";
  } else {
    o.auth = AzureAuth::kManagedIdentity;
    o.credential_source = "the managed identity";
  }
  o.client_id = OptionalString(config, "AZURE_CLIENT_ID");
  if (std::string host = OptionalString(config, "AZURE_POD_IDENTITY_AUTHORITY_HOST");
      !host.empty()) {
    o.imds_endpoint = host;
  }

  if (!cs.blob_endpoint.empty()) {
    o.endpoint = cs.blob_endpoint;
  } else {
    std::string suffix = OptionalString(config, "AZURE_ENDPOINT_SUFFIX");
    if (suffix.empty()) suffix = cs.endpoint_suffix;
    if (suffix.empty()) {
      std::string environment = config.GetString("AZURE_ENVIRONMENT_NAME");
      suffix = EndpointSuffixForEnvironment(environment);
      if (suffix == "core.windows.net" && environment != kPublicCloud) {
        spdlog::warn("{} is '{}', which is none of AzurePublicCloud, AzureUSGovernmentCloud, "
                     "AzureChinaCloud, AzureGermanCloud: using the public cloud (core.windows.net), "
                     "as WAL-G does",
                     config.SpelledName("AZURE_ENVIRONMENT_NAME"), environment);
      }
    }
    o.endpoint = fmt::format("{}://{}.blob.{}", cs.protocol.empty() ? "https" : cs.protocol,
                             o.account, suffix);
  }
  if (std::string version = OptionalString(config, "AZURE_BLOB_STORE_API_VERSION");
      !version.empty()) {
    o.api_version = version;
  }

  o.buffer_size = config.GetBytes("WALG_AZURE_BUFFER_SIZE", 1024, uint64_t{4000} << 20);
  o.max_buffers = static_cast<size_t>(config.GetInt("WALG_AZURE_MAX_BUFFERS", 1, 1024));
  o.try_timeout = std::chrono::minutes(config.GetInt("AZURE_TRY_TIMEOUT", 0, 10080));
  o.retry.budget = common.storage_retry_timeout;
  return o;
}

std::unique_ptr<Storage> OpenAzureStorage(const Config& config, const Settings& common) {
  return std::make_unique<AzureStorage>(AzureOptionsFromConfig(config, common));
}

}  // namespace walnut::azure
