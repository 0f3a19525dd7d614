#include "fake_sysfs.hpp"
#include "sysfs/attr_io.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace mdevmc;
using mdevmc::test::readFile;
using mdevmc::test::TempDir;
using mdevmc::test::writeFile;
using namespace std::chrono_literals;

class AttrIoTest : public ::testing::Test {
protected:
    void SetUp() override {
        writeFile(dir.path() / "sys/attr", "hello\n");
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
    }
    TempDir dir;
    std::optional<Root> root;
};

TEST_F(AttrIoTest, DirectReadAndWrite) {
    DirectAttrIo io(*root);
    const AttrRead r = io.read("sys/attr", Deadline::never());
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, "hello\n");
    const AttrWrite w = io.write("sys/attr", "HELLO\n", Deadline::never());
    EXPECT_EQ(w.err, 0);
    EXPECT_EQ(w.written, 6U);
    EXPECT_EQ(readFile(dir.path() / "sys/attr"), "HELLO\n");
    EXPECT_EQ(io.read("sys/missing", Deadline::never()).err, ENOENT);
    EXPECT_EQ(io.write("sys/missing", "x", Deadline::never()).err, ENOENT);
}

TEST_F(AttrIoTest, DirectReadIsOnePage) {
    writeFile(dir.path() / "sys/big", std::string(10000, 'x'));
    DirectAttrIo io(*root);
    EXPECT_EQ(io.read("sys/big", Deadline::never()).data.size(), kAttrMax);
}

TEST_F(AttrIoTest, WorkerReadWrite) {
    WorkerAttrIo io(*root);
    const AttrRead r = io.read("sys/attr", Deadline::after(5s));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, "hello\n");
    const AttrWrite w = io.write("sys/attr", "abc", Deadline::after(5s));
    EXPECT_EQ(w.err, 0);
    EXPECT_EQ(w.written, 3U);
    EXPECT_EQ(io.read("sys/none", Deadline::after(5s)).err, ENOENT);
    EXPECT_EQ(io.workersStarted(), 1);
}

TEST_F(AttrIoTest, WorkerStaysBeneathTheRoot) {
    writeFile(dir.path() / "outside", "x");
    WorkerAttrIo io(*root);
    EXPECT_EQ(io.read("../outside", Deadline::after(5s)).err, EXDEV);
    EXPECT_EQ(io.write("../outside", "y", Deadline::after(5s)).err, EXDEV);
    EXPECT_EQ(readFile(dir.path() / "outside"), "x");
}

TEST_F(AttrIoTest, SymlinkedAttributeIsNeverFollowed) {
    writeFile(dir.path() / "sys/remove", "untouched");
    std::filesystem::create_symlink("remove", dir.path() / "sys/migration_version");
    for (const bool worker : {false, true}) {
        DirectAttrIo direct(*root);
        WorkerAttrIo bounded(*root);
        AttrIo& io = worker ? static_cast<AttrIo&>(bounded) : direct;
        EXPECT_EQ(io.write("sys/migration_version", "1\n", Deadline::after(5s)).err, ELOOP);
        EXPECT_EQ(io.read("sys/migration_version", Deadline::after(5s)).err, ELOOP);
    }
    EXPECT_EQ(readFile(dir.path() / "sys/remove"), "untouched");
}

TEST_F(AttrIoTest, DirectoryIsNotAnAttribute) {
    std::filesystem::create_directory(dir.path() / "sys/dir");
    DirectAttrIo io(*root);
    EXPECT_EQ(io.read("sys/dir", Deadline::never()).err, EINVAL);
    EXPECT_EQ(io.write("sys/dir", "x", Deadline::never()).err, EISDIR);
}

// A FIFO with no reader: open(O_WRONLY) blocks forever, like a store
// callback that never returns.
TEST_F(AttrIoTest, WorkerTimesOutAndRecovers) {
    ASSERT_EQ(::mkfifo((dir.path() / "sys/stuck").c_str(), 0600), 0);
    WorkerAttrIo io(*root);
    const AttrWrite w = io.write("sys/stuck", "data\n", Deadline::after(200ms));
    EXPECT_TRUE(w.timed_out);
    EXPECT_EQ(w.written, 0U);
    const AttrRead r = io.read("sys/attr", Deadline::after(5s));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, "hello\n");
    EXPECT_EQ(io.workersStarted(), 2);
}

TEST_F(AttrIoTest, ExpiredDeadlineTouchesNothing) {
    WorkerAttrIo io(*root);
    const AttrWrite w = io.write("sys/attr", "changed", Deadline::after(0ms));
    EXPECT_TRUE(w.timed_out);
    EXPECT_EQ(readFile(dir.path() / "sys/attr"), "hello\n");
    EXPECT_EQ(io.workersStarted(), 0);
}
