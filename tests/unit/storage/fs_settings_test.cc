#include "storage/fs/fs_settings.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

TEST(FsSettingsTest, FilePrefixStripsWaleLocalhost) {
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "file://localhost/var/backups"),
            "/var/backups");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "file:///var/backups/"), "/var/backups");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "/var/backups//"), "/var/backups");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "relative/dir"), "relative/dir");
  EXPECT_EQ(NormalizeFilePrefix("WALG_FILE_PREFIX", "/"), "/");
  EXPECT_THROW(NormalizeFilePrefix("WALG_FILE_PREFIX", "file://localhost"), Error);
}

}  // namespace
}  // namespace walnut
