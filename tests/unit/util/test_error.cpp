#include "util/error.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevmc;

namespace {
Result<int> sys() {
    return fail("read failed", ENOANO);
}
Result<int> virt() {
    return failVirt("libvirt refused", 55);
}
} // namespace

// An errno and a libvirt error number are kept apart, whatever their value.
TEST(Error, FailRecordsAnErrno) {
    const auto r = sys();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "read failed");
    EXPECT_EQ(r.error().err, ENOANO);
    EXPECT_EQ(r.error().virt_code, 0);
}

TEST(Error, FailVirtRecordsALibvirtCode) {
    const auto r = virt();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "libvirt refused");
    EXPECT_EQ(r.error().err, 0);
    EXPECT_EQ(r.error().virt_code, 55);
}

TEST(Error, FailWithoutCode) {
    const Error e = Result<void>(fail("plain")).error();
    EXPECT_EQ(e.err, 0);
    EXPECT_EQ(e.virt_code, 0);
}

TEST(Error, FatalCarriesTheMessage) {
    const Fatal f(Error{"bad input", EINVAL}, 3);
    EXPECT_STREQ(f.what(), "bad input");
    EXPECT_EQ(f.exit_code(), 3);
}
