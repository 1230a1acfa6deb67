#pragma once

namespace walnut::net {

// Loads and initialises libcurl (and through it OpenSSL) for the whole process; later calls do
// nothing. Thread-safe. Throws Error if libcurl is missing or cannot initialise (see curl_api.h).
// HttpClient calls it too, so tests need not.
void GlobalInit();

}  // namespace walnut::net
