#include "util/unique_c_ptr.hpp"

#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <gtest/gtest.h>

using namespace mdevmc;

namespace {

int g_released = 0;
struct Handle {
    int id;
};
void release(Handle* h) {
    ++g_released;
    delete h;
}

} // namespace

TEST(UniqueCPtr, ReleasesOnEveryExit) {
    g_released = 0;
    {
        UniqueCPtr<Handle, release> h(new Handle{1});
        EXPECT_EQ(h->id, 1);
    }
    EXPECT_EQ(g_released, 1);
    {
        UniqueCPtr<Handle, release> empty; // never called with nullptr
    }
    EXPECT_EQ(g_released, 1);
    UniqueCPtr<Handle, release> moved;
    {
        UniqueCPtr<Handle, release> h(new Handle{2});
        moved = std::move(h);
    }
    EXPECT_EQ(g_released, 1);
    moved.reset();
    EXPECT_EQ(g_released, 2);
    static_assert(sizeof(UniqueCPtr<Handle, release>) == sizeof(Handle*));
}

TEST(UniqueCPtr, FreesMallocedMemory) {
    // What strdup() returns is the caller's to free().
    const UniqueFreePtr<char> s(::strdup("libvirt string"));
    ASSERT_TRUE(s);
    EXPECT_STREQ(s.get(), "libvirt string");
}

TEST(UniqueCPtr, ClosesADirectory) {
    const UniqueCPtr<DIR, ::closedir> d(::opendir("/"));
    ASSERT_TRUE(d);
    EXPECT_NE(::readdir(d.get()), nullptr);
}
