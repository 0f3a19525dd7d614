#include "util/host_name.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace mdevmc;

TEST(HostName, IsGethostname) {
    char buf[256] = {};
    ASSERT_EQ(::gethostname(buf, sizeof buf - 1), 0);
    EXPECT_EQ(hostName(), buf);
}
