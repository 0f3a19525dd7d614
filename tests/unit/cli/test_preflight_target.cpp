// Preflight targets: what reaches ssh's command line.
#include "cli/preflight_target.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;
using namespace mdevmc::cli;

namespace {

std::string targetError(const std::string& spec) {
    auto t = parseTarget(spec);
    return t ? "" : t.error().message;
}

} // namespace

TEST(PreflightTarget, HostsUsersAndUris) {
    auto t = parseTarget("hostB");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->host, "hostB");
    EXPECT_EQ(t->user, "");
    EXPECT_EQ(t->port, 0);
    t = parseTarget("admin@10.0.0.2");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->user, "admin");
    EXPECT_EQ(t->host, "10.0.0.2");
    t = parseTarget("qemu+ssh://root@hostC:2222/system?keyfile=x");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->spec, "qemu+ssh://root@hostC:2222/system?keyfile=x");
    EXPECT_EQ(t->user, "root");
    EXPECT_EQ(t->host, "hostC");
    EXPECT_EQ(t->port, 2222);
    t = parseTarget("qemu+ssh://[fe80::1]:22/system");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->host, "fe80::1");
    EXPECT_EQ(t->port, 22);
    EXPECT_EQ(sshArgv("ssh", *parseTarget("qemu+ssh://u@h:2/system"), std::chrono::seconds(7)),
              (std::vector<std::string>{"ssh", "-T", "-o", "BatchMode=yes", "-o",
                                        "ConnectTimeout=7", "-l", "u", "-p", "2", "--", "h",
                                        "mdev-migcheck check --xml - --json"}));
}

TEST(PreflightTarget, WhatSshMustNotSee) {
    EXPECT_NE(targetError("-oProxyCommand=x").find("must begin with a letter"), std::string::npos);
    EXPECT_NE(targetError("qemu+ssh://-oProxyCommand=x/system").find("must begin with a letter"),
              std::string::npos);
    EXPECT_NE(targetError("h o").find("only letters"), std::string::npos);
    EXPECT_NE(targetError("-u@h").find("the user name"), std::string::npos);
    EXPECT_NE(targetError("qemu:///system").find("names no host"), std::string::npos);
    EXPECT_NE(targetError("qemu+ssh://h:0/system").find("port '0'"), std::string::npos);
    EXPECT_NE(targetError("qemu+ssh://h:/system").find("empty port"), std::string::npos);
    EXPECT_NE(targetError("qemu+ssh://[::1/system").find("without ']'"), std::string::npos);
    EXPECT_NE(targetError(std::string(254, 'a')).find("longer than 253"), std::string::npos);
    EXPECT_EQ(targetError(""), "an empty target");
}
