#pragma once

#include <curl/curl.h>

namespace walnut::net {

// The libcurl functions Walnut uses, resolved from libcurl.so.4 at run time. Walnut does not link
// libcurl: only S3 storage needs it, and loading it with its ~30 dependencies (Kerberos, LDAP,
// GnuTLS, ...) would cost every wal-push and wal-fetch to a directory start-up time and memory.
// <curl/curl.h> still provides the types and constants (the ABI of soname 4 is stable).
struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// Loads libcurl and runs curl_global_init (which also initialises OpenSSL) on the first call;
// later calls return the same table. Thread-safe. Throws Error naming libcurl.so.4 and the Debian
// package libcurl4 when the library is missing, and Error(kInternal) when it cannot initialise;
// a failed first call fails the same way every time.
const CurlApi& Curl();

}  // namespace walnut::net
