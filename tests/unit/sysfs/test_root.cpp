#include "fake_sysfs.hpp"
#include "sysfs/root.hpp"

#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>

using namespace mdevmc;
using mdevmc::test::TempDir;
using mdevmc::test::writeFile;
namespace fs = std::filesystem;

class RootTest : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(dir.path() / "root/sys/a/b");
        fs::create_directories(dir.path() / "outside");
        writeFile(dir.path() / "root/sys/a/b/attr", "value\n");
        writeFile(dir.path() / "outside/secret", "secret\n");
        auto r = Root::open((dir.path() / "root").string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
    }
    TempDir dir;
    std::optional<Root> root;
};

TEST_F(RootTest, OpenRejectsRelativeAndMissing) {
    auto rel = Root::open("relative/path");
    ASSERT_FALSE(rel);
    EXPECT_EQ(rel.error().err, EINVAL);
    auto missing = Root::open((dir.path() / "nope").string());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().err, ENOENT);
    EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
}

TEST_F(RootTest, ResolvesRelativeLinksBeneath) {
    fs::create_directory_symlink("a/b", dir.path() / "root/sys/link");
    auto r = root->resolve("sys/link/attr");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, "sys/a/b/attr");
    auto fd = root->open("sys/link/attr", O_RDONLY);
    ASSERT_TRUE(fd) << fd.error().message;
    EXPECT_EQ(*root->resolve("sys/./a/../a/b"), "sys/a/b");
}

TEST_F(RootTest, ChainedLinks) {
    fs::create_directory_symlink("b", dir.path() / "root/sys/a/c");
    fs::create_directory_symlink("../sys/a/c", dir.path() / "root/sys/d");
    EXPECT_EQ(*root->resolve("sys/d/attr"), "sys/a/b/attr");
}

TEST_F(RootTest, DotDotEscapeIsRefused) {
    auto r = root->resolve("sys/../../outside/secret");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, EXDEV);
    auto fd = root->open("../outside/secret", O_RDONLY);
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().err, EXDEV);
}

TEST_F(RootTest, RelativeLinkEscapeIsRefused) {
    fs::create_symlink("../../../outside/secret", dir.path() / "root/sys/a/evil");
    auto r = root->resolve("sys/a/evil");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, EXDEV);
    EXPECT_NE(r.error().message.find("leads outside the root"), std::string::npos);
    auto fd = root->open("sys/a/evil", O_RDONLY);
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().err, EXDEV);
}

TEST_F(RootTest, AbsoluteLinkIsRefused) {
    fs::create_symlink((dir.path() / "outside/secret").string(), dir.path() / "root/sys/a/abs");
    auto r = root->resolve("sys/a/abs");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, EXDEV);
    EXPECT_NE(r.error().message.find("absolute symlink"), std::string::npos);
    auto fd = root->open("sys/a/abs", O_RDONLY);
    ASSERT_FALSE(fd);
    EXPECT_EQ(fd.error().err, EXDEV);
}

TEST_F(RootTest, LinkLoopIsAnError) {
    fs::create_symlink("loop2", dir.path() / "root/sys/loop1");
    fs::create_symlink("loop1", dir.path() / "root/sys/loop2");
    auto r = root->resolve("sys/loop1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, ELOOP);
}

TEST_F(RootTest, MissingComponent) {
    auto r = root->resolve("sys/a/zzz/attr");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, ENOENT);
    EXPECT_FALSE(root->exists("sys/a/zzz"));
    EXPECT_TRUE(root->exists("sys/a/b/attr"));
}

TEST_F(RootTest, ListIsSortedWithoutDots) {
    writeFile(dir.path() / "root/sys/a/z", "");
    writeFile(dir.path() / "root/sys/a/m", "");
    auto l = root->list("sys/a");
    ASSERT_TRUE(l);
    EXPECT_EQ(*l, (std::vector<std::string>{"b", "m", "z"}));
    auto missing = root->list("sys/none");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().err, ENOENT);
}

namespace {
std::size_t openFds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}
} // namespace

TEST_F(RootTest, NoDescriptorOutlivesACall) {
    writeFile(dir.path() / "root/sys/a/z", "");
    const std::size_t before = openFds();
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(root->list("sys/a"));
        EXPECT_FALSE(root->list("sys/a/b/attr")); // not a directory
        EXPECT_FALSE(root->list("sys/none"));
        EXPECT_TRUE(root->openAttribute("sys/a/b/attr", O_RDONLY));
        EXPECT_FALSE(root->openAttribute("sys/a/b", O_RDONLY)); // not a regular file
    }
    EXPECT_EQ(openFds(), before);
}

TEST_F(RootTest, Display) {
    EXPECT_EQ(root->display("sys/x"), (dir.path() / "root/sys/x").string());
    auto slash = Root::open("/");
    ASSERT_TRUE(slash);
    EXPECT_EQ(slash->display("sys/x"), "/sys/x");
}

TEST(RootEnv, FromEnvironment) {
    TempDir d;
    ::setenv(kRootEnv, d.path().c_str(), 1);
    auto r = Root::fromEnvironment();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->path(), d.path().string());
    ::setenv(kRootEnv, "not/absolute", 1);
    auto bad = Root::fromEnvironment();
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("MDEV_MIGCHECK_ROOT"), std::string::npos);
    ::unsetenv(kRootEnv);
    auto def = Root::fromEnvironment();
    ASSERT_TRUE(def);
    EXPECT_EQ(def->path(), "/");
}
