#include "util/errno_name.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevmc;

TEST(ErrnoName, RoundTrip) {
    for (int e : {EINVAL, ENODEV, ENOENT, EIO, EBUSY, ETIMEDOUT, EUSERS, ENOSPC, EPERM}) {
        const std::string n = errnoName(e);
        ASSERT_EQ(n[0], 'E');
        EXPECT_EQ(errnoFromName(n), e) << n;
    }
    EXPECT_EQ(errnoName(EINVAL), "EINVAL");
    EXPECT_EQ(errnoFromName("ENODEV"), ENODEV);
    EXPECT_EQ(errnoFromName("EWOULDBLOCK"), EAGAIN);
}

TEST(ErrnoName, Unknown) {
    EXPECT_EQ(errnoFromName("ENOTANERRNO"), std::nullopt);
    EXPECT_EQ(errnoFromName("einval"), std::nullopt);
    EXPECT_EQ(errnoFromName(""), std::nullopt);
    EXPECT_EQ(errnoName(99999), "E99999");
    EXPECT_EQ(errnoText(EINVAL), "Invalid argument");
}
