#include "net/global_init.h"

#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>

#include "common/error.h"

namespace walnut::net {

void GlobalInit() {
  // curl_global_init is not thread-safe and must run once; call_once makes a late call from a
  // worker thread harmless. Cleanup is left to process exit (libcurl documents that as fine).
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw Error(ErrorCode::kInternal,
                fmt::format("cannot initialise libcurl: {}", curl_easy_strerror(result)));
  }
}

}  // namespace walnut::net
