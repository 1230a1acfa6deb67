#pragma once

namespace walnut::net {

// Initialises libcurl (and through it OpenSSL) for the whole process. Call once from main()
// before any thread starts; later calls do nothing. Throws Error(kInternal) if libcurl cannot
// initialise. HttpClient calls it too, so tests need not.
void GlobalInit();

}  // namespace walnut::net
