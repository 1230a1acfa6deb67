#include "net/global_init.h"

#include "net/curl_api.h"

namespace walnut::net {

void GlobalInit() { (void)Curl(); }

}  // namespace walnut::net
