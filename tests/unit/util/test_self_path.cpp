#include "util/self_path.hpp"

#include <climits>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace mdevmc;

namespace {
std::string exe() {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}
} // namespace

TEST(SelfPath, DirectoryOfTheExecutable) {
    const std::string self = exe();
    ASSERT_FALSE(self.empty());
    const auto dir = selfDir();
    ASSERT_TRUE(dir.has_value());
    EXPECT_EQ(*dir, self.substr(0, self.rfind('/')));
    EXPECT_NE(dir->back(), '/');
}

TEST(SelfPath, PathBesideSelf) {
    const std::string self = exe();
    const std::string name = self.substr(self.rfind('/') + 1);
    EXPECT_EQ(pathBesideSelf(name), self);
    EXPECT_EQ(pathBesideSelf("../../bin/mdev-migcheck"), *selfDir() + "/../../bin/mdev-migcheck");
}
