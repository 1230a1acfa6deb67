#include "net/curl_api.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace walnut::net {
namespace {

// libcurl is loaded with dlopen, not linked: the table must be complete and the functions real.
TEST(CurlApiTest, LoadsEveryFunctionOnceFromAnyThread) {
  std::vector<const CurlApi*> seen(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&seen, i] { seen[i] = &Curl(); });
  }
  for (auto& t : threads) t.join();
  for (const CurlApi* api : seen) EXPECT_EQ(api, seen[0]);

  const CurlApi& curl = *seen[0];
  for (auto* f :
       {reinterpret_cast<void*>(curl.global_init), reinterpret_cast<void*>(curl.easy_init),
        reinterpret_cast<void*>(curl.easy_cleanup), reinterpret_cast<void*>(curl.easy_reset),
        reinterpret_cast<void*>(curl.easy_setopt), reinterpret_cast<void*>(curl.easy_getinfo),
        reinterpret_cast<void*>(curl.easy_perform), reinterpret_cast<void*>(curl.easy_strerror),
        reinterpret_cast<void*>(curl.slist_append), reinterpret_cast<void*>(curl.slist_free_all)}) {
    EXPECT_NE(f, nullptr);
  }
  EXPECT_EQ(std::string(curl.easy_strerror(CURLE_OK)), "No error");
  CURL* easy = curl.easy_init();
  ASSERT_NE(easy, nullptr);
  EXPECT_EQ(curl.easy_setopt(easy, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  curl.easy_cleanup(easy);
}

}  // namespace
}  // namespace walnut::net
