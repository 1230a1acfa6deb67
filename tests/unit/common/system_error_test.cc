#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"

namespace walnut {
namespace {

TEST(SystemErrorTest, OneShapeActionPathReasonAndWhatToDo) {
  Error e = SystemError("cannot create directory", "/x/y", EACCES);
  EXPECT_EQ(std::string(e.what()),
            "cannot create directory /x/y: permission denied; check that the user running walnut "
            "may access it");
  EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied);
  EXPECT_FALSE(e.retryable());
}

TEST(SystemErrorTest, CodesFollowErrno) {
  EXPECT_EQ(SystemError("a", "p", ENOENT).code(), ErrorCode::kNotFound);
  EXPECT_EQ(SystemError("a", "p", EPERM).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(SystemError("a", "p", EROFS).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(SystemError("a", "p", EEXIST).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(SystemError("a", "p", EIO).code(), ErrorCode::kIo);
  EXPECT_EQ(SystemError("a", "p", ENOSPC).code(), ErrorCode::kIo);
}

TEST(SystemErrorTest, AFullDiskSaysToFreeSpace) {
  EXPECT_EQ(std::string(SystemError("cannot write", "/pg/base/1", ENOSPC).what()),
            "cannot write /pg/base/1: no space left on device; the file system is full: free "
            "some space on it");
}

TEST(SystemErrorTest, NoHintWhereThereIsNothingToSuggestAndNoPathWhenThereIsNone) {
  EXPECT_EQ(std::string(SystemError("cannot read", "/f", EIO).what()),
            "cannot read /f: input/output error");
  EXPECT_EQ(std::string(SystemError("cannot start the prefetcher", "", EAGAIN).what()),
            "cannot start the prefetcher: resource temporarily unavailable");
}

TEST(SystemErrorTest, ThrowUsesErrnoByDefault) {
  errno = ENOENT;
  try {
    ThrowSystemError("cannot open", "/missing");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(std::string(e.what()), "cannot open /missing: no such file or directory");
    return;
  }
  ADD_FAILURE() << "nothing thrown";
}

}  // namespace
}  // namespace walnut
