#include "net/curl_api.h"

#include <fmt/format.h>

#include "common/dynamic_library.h"
#include "common/error.h"

namespace walnut::net {
namespace {

CurlApi LoadCurl() {
  auto library = DynamicLibrary::Open("libcurl.so.4", "S3 storage", "libcurl4");
  CurlApi api{};
  library.Load(api.global_init, "curl_global_init");
  library.Load(api.easy_init, "curl_easy_init");
  library.Load(api.easy_cleanup, "curl_easy_cleanup");
  library.Load(api.easy_reset, "curl_easy_reset");
  library.Load(api.easy_setopt, "curl_easy_setopt");
  library.Load(api.easy_getinfo, "curl_easy_getinfo");
  library.Load(api.easy_perform, "curl_easy_perform");
  library.Load(api.easy_strerror, "curl_easy_strerror");
  library.Load(api.slist_append, "curl_slist_append");
  library.Load(api.slist_free_all, "curl_slist_free_all");
  // curl_global_init is not thread-safe and must run once, before any handle exists. Cleanup is
  // left to process exit, which libcurl documents as fine.
  CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw Error(ErrorCode::kInternal,
                fmt::format("cannot initialise libcurl: {}", api.easy_strerror(rc)));
  }
  return api;
}

}  // namespace

const CurlApi& Curl() { return LoadOnce<CurlApi, LoadCurl>(); }

}  // namespace walnut::net
