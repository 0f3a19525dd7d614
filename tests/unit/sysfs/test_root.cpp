#include "fake_sysfs.hpp"
#include "sysfs/root.hpp"

#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

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
// True if descriptor FD is the file at P.
bool sameFile(int fd, const fs::path& p) {
    struct stat a {};
    struct stat b {};
    return ::fstat(fd, &a) == 0 && ::stat(p.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
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

// openNamed() names what it opened as resolve() would, and declines
// (nullopt) wherever a symlink other than REL itself is on the way.
TEST_F(RootTest, OpenNamedNamesTheDirectoryItOpened) {
    fs::create_directories(dir.path() / "root/sys/bus/devices");
    fs::create_directory_symlink("../../a/b", dir.path() / "root/sys/bus/devices/dev");
    const std::size_t before = openFds();
    for (int i = 0; i < 2; ++i) {
        auto named = root->openNamed("sys/bus/devices/dev");
        ASSERT_TRUE(named);
        EXPECT_EQ(named->path, "sys/a/b");
        EXPECT_EQ(named->path, *root->resolve("sys/bus/devices/dev"));
        EXPECT_TRUE(sameFile(named->fd.get(), dir.path() / "root/sys/a/b"));
    }
    { // A directory that is not a link names itself.
        auto plain = root->openNamed("sys/a/b");
        ASSERT_TRUE(plain);
        EXPECT_EQ(plain->path, "sys/a/b");
        EXPECT_TRUE(sameFile(plain->fd.get(), dir.path() / "root/sys/a/b"));
    }

    // A symlink in the link's target: the name would not be canonical.
    fs::create_directory_symlink("a", dir.path() / "root/sys/l");
    fs::create_directory_symlink("../../l/b", dir.path() / "root/sys/bus/devices/via");
    EXPECT_FALSE(root->openNamed("sys/bus/devices/via"));
    EXPECT_EQ(*root->resolve("sys/bus/devices/via"), "sys/a/b");
    // A symlink in the parent: the link would be read from elsewhere.
    fs::create_directory_symlink("bus", dir.path() / "root/sys/bl");
    EXPECT_FALSE(root->openNamed("sys/bl/devices/dev"));
    // Leaving the root, an absolute link, a missing or unclean path.
    fs::create_directory_symlink("../../../../outside", dir.path() / "root/sys/bus/devices/out");
    fs::create_directory_symlink("/etc", dir.path() / "root/sys/bus/devices/abs");
    for (const char* rel : {"sys/bus/devices/out", "sys/bus/devices/abs", "sys/bus/devices/none",
                            "sys/./a/b", "sys/a/../a/b", "/sys/a/b", "sys//a/b", "sys/a/b/"}) {
        EXPECT_FALSE(root->openNamed(rel)) << rel;
    }
    // A parent that became a symlink since.
    fs::rename(dir.path() / "root/sys/bus", dir.path() / "root/sys/bus2");
    fs::create_directory_symlink("bus2", dir.path() / "root/sys/bus");
    EXPECT_FALSE(root->openNamed("sys/bus/devices/dev"));
    EXPECT_TRUE(root->openNamed("sys/bus2/devices/dev"));
    EXPECT_EQ(openFds(), before);
}

// Kept directories: the same names and directories as without, each
// proved directory opened once and kept until keepDirectories(false), and
// a symlink met on the way still declines.
TEST_F(RootTest, KeptDirectoriesNameTheSame) {
    fs::create_directories(dir.path() / "root/sys/bus/devices");
    fs::create_directories(dir.path() / "root/sys/p/d1");
    fs::create_directories(dir.path() / "root/sys/p/d2");
    fs::create_directories(dir.path() / "root/sys/q/d3");
    for (const char* d : {"d1", "d2"}) {
        fs::create_directory_symlink(std::string("../../p/") + d,
                                     dir.path() / "root/sys/bus/devices" / d);
    }
    fs::create_directory_symlink("../../q/d3", dir.path() / "root/sys/bus/devices/d3");
    fs::create_directory_symlink("q", dir.path() / "root/sys/lq");
    fs::create_directory_symlink("../../lq/d3", dir.path() / "root/sys/bus/devices/via");
    const std::size_t before = openFds();
    root->keepDirectories(true);
    for (int round = 0; round < 2; ++round) {
        for (const char* d : {"d1", "d2", "d3"}) {
            const std::string rel = std::string("sys/bus/devices/") + d;
            auto named = root->openNamed(rel);
            ASSERT_TRUE(named) << rel;
            EXPECT_EQ(named->path, *root->resolve(rel));
            EXPECT_TRUE(sameFile(named->fd.get(), dir.path() / "root" / named->path)) << rel;
        }
        EXPECT_FALSE(root->openNamed("sys/bus/devices/via"));
        EXPECT_FALSE(root->openNamed("sys/bus/devices/none"));
        // Kept: sys/bus/devices, sys/p and sys/q; nothing else stays open.
        EXPECT_EQ(openFds(), before + 3);
    }
    root->keepDirectories(false);
    EXPECT_EQ(openFds(), before);
    auto again = root->openNamed("sys/bus/devices/d1");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->path, "sys/p/d1");
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
