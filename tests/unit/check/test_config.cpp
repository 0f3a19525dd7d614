#include "check/config.hpp"
#include "fake_sysfs.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;
using namespace std::chrono_literals;

TEST(Config, Defaults) {
    auto c = parseConfig("", "x.conf");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->timeout, 5000ms);
    EXPECT_EQ(c->attr_timeout, 2000ms);
    EXPECT_FALSE(c->allow_unrecorded);
    EXPECT_TRUE(c->syslog);
}

TEST(Config, ParsesKeysCommentsAndBlanks) {
    auto c = parseConfig("# comment\n\n timeout_ms = 800 # inline\nattr_timeout_ms=300\n"
                         "allow_unrecorded = yes\nsyslog = no\nrecord_wait_ms = 0\n",
                         "x.conf");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->timeout, 800ms);
    EXPECT_EQ(c->attr_timeout, 300ms);
    EXPECT_TRUE(c->allow_unrecorded);
    EXPECT_FALSE(c->syslog);
    EXPECT_EQ(c->record_wait, 0ms);
}

TEST(Config, ErrorsNameFileLineAndKey) {
    auto unknown = parseConfig("timeout_ms = 100\nbogus = 1\n", "/etc/m.conf");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "/etc/m.conf:2: unknown key 'bogus'");
    auto noeq = parseConfig("timeout_ms 100\n", "m.conf");
    ASSERT_FALSE(noeq);
    EXPECT_NE(noeq.error().message.find("m.conf:1: expected 'key = value'"), std::string::npos);
    auto badnum = parseConfig("timeout_ms = 5s\n", "m.conf");
    ASSERT_FALSE(badnum);
    EXPECT_NE(badnum.error().message.find("'timeout_ms' takes a number of milliseconds"),
              std::string::npos);
    EXPECT_FALSE(parseConfig("timeout_ms = 1\n", "m.conf"));        // below the minimum
    EXPECT_FALSE(parseConfig("timeout_ms = 99999999\n", "m.conf")); // above the maximum
    auto badbool = parseConfig("syslog = maybe\n", "m.conf");
    ASSERT_FALSE(badbool);
    EXPECT_NE(badbool.error().message.find("takes yes or no"), std::string::npos);
}

TEST(Config, LoadMissingFileGivesDefaults) {
    mdevmc::test::TempDir d;
    auto c = loadConfig((d.path() / "none.conf").string());
    ASSERT_TRUE(c);
    EXPECT_EQ(c->timeout, 5000ms);
    mdevmc::test::writeFile(d.path() / "m.conf", "timeout_ms = 1234\n");
    EXPECT_EQ(loadConfig((d.path() / "m.conf").string())->timeout, 1234ms);
}

TEST(Config, PathUnderRootOrFromEnvironment) {
    mdevmc::test::TempDir d;
    auto root = Root::open(d.path().string());
    ASSERT_TRUE(root);
    ::unsetenv(kConfigEnv);
    EXPECT_EQ(configPath(*root), (d.path() / "etc/mdev-migcheck/mdev-migcheck.conf").string());
    ::setenv(kConfigEnv, "/x/y.conf", 1);
    EXPECT_EQ(configPath(*root), "/x/y.conf");
    ::unsetenv(kConfigEnv);
}
