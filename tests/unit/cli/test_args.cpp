#include "cli/args.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;
using namespace mdevmc::cli;

namespace {

const std::vector<OptionSpec> kSpecs{
    {"connect", 'c', true}, {"xml", 0, true}, {"json", 0, false}, {"all", 'a', false}};

// The message of the Fatal that parsing ARGS throws, or "" if none.
std::string usageError(const std::vector<std::string>& args) {
    try {
        const Args a("check", args, kSpecs);
    } catch (const Fatal& e) {
        EXPECT_EQ(e.exit_code(), 2);
        return e.what();
    }
    return "";
}

} // namespace

TEST(Args, FlagsValuesAndPositionals) {
    const Args a("check", {"dom1", "--json", "--xml", "f.xml", "dom2"}, kSpecs);
    EXPECT_EQ(a.command(), "check");
    EXPECT_TRUE(a.has("json"));
    EXPECT_FALSE(a.has("all"));
    EXPECT_EQ(a.value("xml"), "f.xml");
    EXPECT_EQ(a.value("json"), "");
    EXPECT_EQ(a.value("connect"), std::nullopt);
    EXPECT_EQ(a.positional(), (std::vector<std::string>{"dom1", "dom2"}));
}

TEST(Args, ShortAndLongFormsOfAValue) {
    EXPECT_EQ(Args("check", {"-c", "qemu+ssh://src/system"}, kSpecs).value("connect"),
              "qemu+ssh://src/system");
    EXPECT_EQ(Args("check", {"--connect=qemu:///session"}, kSpecs).value("connect"),
              "qemu:///session");
    EXPECT_EQ(Args("check", {"--connect", "qemu:///session"}, kSpecs).value("connect"),
              "qemu:///session");
    // A value may be empty, contain '=' or look like an option.
    EXPECT_EQ(Args("check", {"--xml="}, kSpecs).value("xml"), "");
    EXPECT_EQ(Args("check", {"--xml=a=b"}, kSpecs).value("xml"), "a=b");
    EXPECT_EQ(Args("check", {"--xml", "--json"}, kSpecs).value("xml"), "--json");
    // As getopt takes them: the value attached to a short option.
    EXPECT_EQ(Args("check", {"-cqemu+ssh://src/system", "dom"}, kSpecs).value("connect"),
              "qemu+ssh://src/system");
    EXPECT_EQ(Args("check", {"-c=u"}, kSpecs).value("connect"), "=u");
    EXPECT_TRUE(Args("check", {"-a"}, kSpecs).has("all"));
    // The last one wins.
    EXPECT_EQ(Args("check", {"-c", "a", "--connect", "b"}, kSpecs).value("connect"), "b");
}

TEST(Args, DoubleDashEndsOptions) {
    const Args a("check", {"--json", "--", "--xml", "-c", "--"}, kSpecs);
    EXPECT_TRUE(a.has("json"));
    EXPECT_FALSE(a.has("xml"));
    EXPECT_EQ(a.positional(), (std::vector<std::string>{"--xml", "-c", "--"}));
}

TEST(Args, DashAndSingleCharactersArePositional) {
    const Args a("check", {"--xml", "-", "-", "x"}, kSpecs);
    EXPECT_EQ(a.value("xml"), "-");
    EXPECT_EQ(a.positional(), (std::vector<std::string>{"-", "x"}));
}

TEST(Args, UnknownOptionIsNamed) {
    EXPECT_EQ(usageError({"--bogus"}),
              "mdev-migcheck check: unknown option '--bogus' (see 'mdev-migcheck check --help')");
    EXPECT_EQ(usageError({"-x"}),
              "mdev-migcheck check: unknown option '-x' (see 'mdev-migcheck check --help')");
    EXPECT_EQ(usageError({"--bogus=1"}),
              "mdev-migcheck check: unknown option '--bogus=1' (see 'mdev-migcheck check --help')");
    // Short flags are not bundled; long options are not abbreviated.
    EXPECT_NE(usageError({"-ac", "u"}).find("unknown option '-ac'"), std::string::npos);
    EXPECT_NE(usageError({"-xc"}).find("unknown option '-xc'"), std::string::npos);
    EXPECT_NE(usageError({"--con", "u"}).find("unknown option '--con'"), std::string::npos);
}

TEST(Args, MissingValue) {
    EXPECT_EQ(usageError({"--xml"}), "mdev-migcheck check: option '--xml' needs a value");
    EXPECT_EQ(usageError({"dom", "-c"}), "mdev-migcheck check: option '-c' needs a value");
}

TEST(Args, FlagTakesNoValue) {
    EXPECT_EQ(usageError({"--json=yes"}), "mdev-migcheck check: option '--json' takes no value");
}

TEST(Args, AtMostPositional) {
    const Args a("list", {"extra", "more"}, kSpecs);
    EXPECT_NO_THROW(a.atMostPositional(2));
    try {
        a.atMostPositional(1);
        ADD_FAILURE() << "no error";
    } catch (const Fatal& e) {
        EXPECT_STREQ(e.what(), "mdev-migcheck list: unexpected argument 'more'");
    }
}

TEST(Args, WantsHelp) {
    EXPECT_TRUE(wantsHelp({"--help"}));
    EXPECT_TRUE(wantsHelp({"dom", "-h"}));
    EXPECT_TRUE(wantsHelp({"--bogus", "--help"})); // help before option errors
    EXPECT_FALSE(wantsHelp({}));
    EXPECT_FALSE(wantsHelp({"--", "--help"}));
    EXPECT_FALSE(wantsHelp({"--helpful"}));
}

TEST(Args, EveryValueOfARepeatedOption) {
    const Args a("check", {"--xml", "a.xml", "--json", "--xml=b.xml", "-c", "u"}, kSpecs);
    EXPECT_EQ(a.values("xml"), (std::vector<std::string>{"a.xml", "b.xml"}));
    EXPECT_EQ(a.value("xml"), "b.xml"); // the last one
    EXPECT_EQ(a.values("connect"), (std::vector<std::string>{"u"}));
    EXPECT_TRUE(a.values("all").empty());
}
