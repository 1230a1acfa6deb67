#include "retention/stale_temporaries.h"

namespace walnut::retention {

std::vector<StaleTemporaryFile> FindStaleTemporaryFiles(const Folder& root, Timestamp now,
                                                        std::chrono::milliseconds pending_age) {
  std::vector<StaleTemporaryFile> stale;
  root.ListTemporaryFiles("", ListOptions{.recursive = true}, [&](const ObjectInfo& info) {
    Timestamp mtime(info.mtime);
    if (now - mtime > pending_age) stale.push_back(StaleTemporaryFile{info.key, info.size, mtime});
  });
  return stale;
}

}  // namespace walnut::retention
