#include "util/error.hpp"
#include "util/expected.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <memory>
#include <string>

using namespace mdevmc;

namespace {

Result<int> number(bool ok, int value = 7) {
    if (!ok) {
        return fail("no number", EINVAL);
    }
    return value;
}

Result<void> nothing(bool ok) {
    if (!ok) {
        return fail("nothing failed", EIO);
    }
    return {};
}

Result<int> twice(bool ok, int* reached) {
    int n = 0;
    MDEVMC_TRY_ASSIGN(n, number(ok));
    ++*reached;
    return 2 * n;
}

Result<void> both(bool first, bool second, int* reached) {
    MDEVMC_TRY(nothing(first));
    ++*reached;
    MDEVMC_TRY(number(second));
    ++*reached;
    return {};
}

Result<std::unique_ptr<int>> boxed(bool ok) {
    if (!ok) {
        return fail("no box", ENOMEM);
    }
    return std::make_unique<int>(3);
}

Result<int> unbox(bool ok) {
    std::unique_ptr<int> p;
    MDEVMC_TRY_ASSIGN(p, boxed(ok)); // move-only values are moved out
    return *p + 1;
}

// The error type needs only to be movable: Expected<T, E> for E != Error.
Expected<std::string, int> code(bool ok) {
    if (!ok) {
        return Unexpected<int>(42);
    }
    return std::string("fine");
}

Expected<std::size_t, int> length(bool ok) {
    std::string s;
    MDEVMC_TRY_ASSIGN(s, code(ok));
    return s.size();
}

} // namespace

TEST(ExpectedTry, AssignPassesTheValueOn) {
    int reached = 0;
    auto r = twice(true, &reached);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 14);
    EXPECT_EQ(reached, 1);
}

TEST(ExpectedTry, AssignReturnsTheErrorUnchanged) {
    int reached = 0;
    auto r = twice(false, &reached);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "no number");
    EXPECT_EQ(r.error().err, EINVAL);
    EXPECT_EQ(reached, 0);
}

TEST(ExpectedTry, TryStopsAtTheFirstError) {
    int reached = 0;
    EXPECT_TRUE(both(true, true, &reached));
    EXPECT_EQ(reached, 2);

    reached = 0;
    auto first = both(false, true, &reached);
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().message, "nothing failed");
    EXPECT_EQ(first.error().err, EIO);
    EXPECT_EQ(reached, 0);

    reached = 0;
    auto second = both(true, false, &reached);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().message, "no number");
    EXPECT_EQ(reached, 1);
}

TEST(ExpectedTry, MoveOnlyValues) {
    auto r = unbox(true);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 4);
    auto e = unbox(false);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().err, ENOMEM);
}

TEST(ExpectedTry, OtherErrorTypes) {
    auto r = length(true);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 4U);
    auto e = length(false);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error(), 42);
}

TEST(ExpectedVoid, ErrorCanBeMovedOut) {
    auto r = nothing(false);
    ASSERT_FALSE(r);
    const Error e = std::move(r).error();
    EXPECT_EQ(e.message, "nothing failed");
}
