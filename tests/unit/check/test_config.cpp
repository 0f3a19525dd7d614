#include "check/config.hpp"
#include "fake_sysfs.hpp"
#include "scripted_io.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mdevmc;
using namespace std::chrono_literals;

namespace {

// loadConfig() of an absolute path, read from this process.
Result<Config> loadFile(const std::string& path) {
    static const auto root = Root::open("/");
    DirectAttrIo io(*root);
    return loadConfig(path, io, Deadline::never());
}

} // namespace

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
    auto c = loadFile((d.path() / "none.conf").string());
    ASSERT_TRUE(c);
    EXPECT_EQ(c->timeout, 5000ms);
    mdevmc::test::writeFile(d.path() / "m.conf", "timeout_ms = 1234\n");
    EXPECT_EQ(loadFile((d.path() / "m.conf").string())->timeout, 1234ms);
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

namespace {

std::string errorOf(std::string_view text, std::string_view origin = "/etc/m.conf") {
    auto c = parseConfig(text, origin);
    return c ? std::string("(accepted)") : c.error().message;
}

} // namespace

TEST(Config, PolicyKeysDefaults) {
    auto c = parseConfig("", "x.conf");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->enabled);
    EXPECT_EQ(c->mode, Mode::Enforce);
    EXPECT_EQ(c->driver_version, DriverVersionRule::Identical);
    EXPECT_TRUE(c->oracles_auto);
    EXPECT_TRUE(c->oracles.empty());
    EXPECT_TRUE(c->facts.empty());
    EXPECT_STREQ(toString(Mode::Enforce), "enforce");
    EXPECT_STREQ(toString(Mode::Audit), "audit");
}

TEST(Config, PolicyKeys) {
    auto c = parseConfig("mode = audit\nenabled = no\ndriver_version = same-or-newer\n"
                         "oracles = nvml,mtty-example , other_1\n",
                         "x.conf");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->mode, Mode::Audit);
    EXPECT_FALSE(c->enabled);
    EXPECT_EQ(c->driver_version, DriverVersionRule::SameOrNewer);
    EXPECT_FALSE(c->oracles_auto);
    EXPECT_EQ(c->oracles, (std::vector<std::string>{"nvml", "mtty-example", "other_1"}));

    c = parseConfig("mode = audit\nmode = enforce\nenabled = yes\ndriver_version = any\n"
                    "oracles = none\n",
                    "x.conf");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->mode, Mode::Enforce);
    EXPECT_TRUE(c->enabled);
    EXPECT_EQ(c->driver_version, DriverVersionRule::Any);
    EXPECT_FALSE(c->oracles_auto);
    EXPECT_TRUE(c->oracles.empty());

    // A later value replaces an earlier list.
    c = parseConfig("oracles = a,b\noracles = auto\n", "x.conf");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->oracles_auto);
    EXPECT_TRUE(c->oracles.empty());
    c = parseConfig("driver_version = identical\n", "x.conf");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->driver_version, DriverVersionRule::Identical);
}

TEST(Config, FactAdjustmentsAddUp) {
    auto c = parseConfig("facts.nvidia = -vendor_module.version +parent.subsystem\n"
                         "facts.* = -type.description\n"
                         "facts.vfio-ccw = +type.name\n"
                         "facts.nvidia = +vendor_module\n",
                         "x.conf");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->facts.size(), 4U);
    EXPECT_EQ(c->facts[0].driver, "nvidia");
    EXPECT_EQ(c->facts[0].drop, std::vector<std::string>{"vendor_module.version"});
    EXPECT_EQ(c->facts[0].add, std::vector<std::string>{"parent.subsystem"});
    EXPECT_EQ(c->facts[1].driver, "*");
    EXPECT_EQ(c->facts[1].drop, std::vector<std::string>{"type.description"});
    EXPECT_EQ(c->facts[2].driver, "vfio-ccw");
    EXPECT_EQ(c->facts[3].add, std::vector<std::string>{"vendor_module"});
    // They take effect on the compared facts.
    const auto nv = comparedFacts("nvidia", "pci", c->facts);
    EXPECT_EQ(std::count(nv.begin(), nv.end(), "vendor_module.version"), 0);
    EXPECT_EQ(std::count(nv.begin(), nv.end(), "vendor_module"), 1);
    EXPECT_EQ(std::count(nv.begin(), nv.end(), "type.description"), 0);
}

TEST(Config, BadPolicyValuesNameFileLineKeyAndValue) {
    struct Case {
        std::string text;
        std::string message;
    };
    for (const Case& c : {
             Case{"mode = strict\n", "/etc/m.conf:1: 'mode' takes enforce or audit, not 'strict'"},
             Case{"\nmode =\n", "/etc/m.conf:2: 'mode' takes enforce or audit, not ''"},
             Case{"enabled = perhaps\n", "/etc/m.conf:1: 'enabled' takes yes or no, not 'perhaps'"},
             Case{"# x\n\ndriver_version = newer\n",
                  "/etc/m.conf:3: 'driver_version' takes identical, same-or-newer or any, not "
                  "'newer'"},
             Case{"driver_version = Identical\n",
                  "/etc/m.conf:1: 'driver_version' takes identical, same-or-newer or any, not "
                  "'Identical'"},
             Case{"oracles = nvml,Bad\n",
                  "/etc/m.conf:1: 'oracles' takes auto, none or oracle names ([a-z0-9_-], "
                  "comma-separated), not 'nvml,Bad'"},
             Case{"oracles = ../x\n",
                  "/etc/m.conf:1: 'oracles' takes auto, none or oracle names ([a-z0-9_-], "
                  "comma-separated), not '../x'"},
             Case{"oracles = " + std::string(33, 'a') + "\n",
                  "/etc/m.conf:1: 'oracles' takes auto, none or oracle names ([a-z0-9_-], "
                  "comma-separated), not '" +
                      std::string(33, 'a') + "'"},
             Case{"oracles = ,\n", "/etc/m.conf:1: 'oracles' needs a value, not ','"},
             Case{"oracles =\n", "/etc/m.conf:1: 'oracles' needs a value, not ''"},
             Case{"facts.nvidia = driver.version\n",
                  "/etc/m.conf:1: 'facts.nvidia' takes +FACT and -FACT words (fact names: see "
                  "mdev-migcheck.conf(5)), not 'driver.version'"},
             Case{"facts.nvidia = +Driver\n",
                  "/etc/m.conf:1: 'facts.nvidia' takes +FACT and -FACT words (fact names: see "
                  "mdev-migcheck.conf(5)), not '+Driver'"},
             Case{"facts.nvidia = +\n",
                  "/etc/m.conf:1: 'facts.nvidia' takes +FACT and -FACT words (fact names: see "
                  "mdev-migcheck.conf(5)), not '+'"},
             Case{"facts.nv/../x = +type\n",
                  "/etc/m.conf:1: 'facts.nv/../x': 'facts.' must be followed by a driver name or "
                  "'*', not '+type'"},
             Case{"facts. = +type\n",
                  "/etc/m.conf:1: 'facts.': 'facts.' must be followed by a driver name or '*', "
                  "not '+type'"},
         }) {
        EXPECT_EQ(errorOf(c.text), c.message) << c.text;
    }
    // Every bad value refuses the whole file.
    auto c = parseConfig("mode = audit\nmode = loud\n", "m.conf");
    EXPECT_FALSE(c);
}

TEST(Config, DropInsAreReadInNameOrderAfterTheFile) {
    mdevmc::test::TempDir d;
    const auto file = d.path() / "m.conf";
    mdevmc::test::writeFile(file,
                            "mode = audit\ntimeout_ms = 1000\nfacts.nvidia = +vendor_module\n");
    mdevmc::test::writeFile(d.path() / "m.conf.d/20-b.conf", "timeout_ms = 2000\n");
    mdevmc::test::writeFile(d.path() / "m.conf.d/10-a.conf",
                            "timeout_ms = 3000\ndriver_version = any\n");
    mdevmc::test::writeFile(d.path() / "m.conf.d/30-c.conf", "facts.nvidia = -type.name\n");
    mdevmc::test::writeFile(d.path() / "m.conf.d/99-ignored.txt", "bogus = 1\n");
    mdevmc::test::writeFile(d.path() / "m.conf.d/.hidden.conf", "bogus = 1\n");
    auto c = loadFile(file.string());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->mode, Mode::Audit);
    EXPECT_EQ(c->timeout, 2000ms);
    EXPECT_EQ(c->driver_version, DriverVersionRule::Any);
    EXPECT_EQ(c->facts.size(), 2U);
    // A bad drop-in names itself.
    mdevmc::test::writeFile(d.path() / "m.conf.d/40-bad.conf", "\nmode = off\n");
    c = loadFile(file.string());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, (d.path() / "m.conf.d/40-bad.conf").string() +
                                     ":2: 'mode' takes enforce or audit, not 'off'");
    // Drop-ins apply without the main file too.
    std::filesystem::remove(d.path() / "m.conf.d/40-bad.conf");
    std::filesystem::remove(file);
    c = loadFile(file.string());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->mode, Mode::Enforce);
    EXPECT_EQ(c->timeout, 2000ms);
}

TEST(Config, FifoIsRefusedAtOnce) {
    mdevmc::test::TempDir d;
    const auto fifo = d.path() / "m.conf";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
    const auto start = std::chrono::steady_clock::now();
    auto c = loadFile(fifo.string());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message,
              "configuration file '" + fifo.string() + "' is not a regular file");
    // A FIFO among the drop-ins too.
    std::filesystem::remove(fifo);
    std::filesystem::create_directories(d.path() / "m.conf.d");
    const auto dropin = d.path() / "m.conf.d/10-fifo.conf";
    ASSERT_EQ(::mkfifo(dropin.c_str(), 0644), 0);
    c = loadFile(fifo.string());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("10-fifo.conf' is not a regular file"), std::string::npos);
}

TEST(Config, DirectoryAndOversizedFilesAreErrors) {
    mdevmc::test::TempDir d;
    std::filesystem::create_directories(d.path() / "dir.conf");
    auto c = loadFile((d.path() / "dir.conf").string());
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("dir.conf' is not a regular file"), std::string::npos)
        << c.error().message;

    // Exactly 64 KiB of comments is read; one byte more is not.
    std::string text(64 * 1024, '#');
    text[text.size() - 1] = '\n';
    mdevmc::test::writeFile(d.path() / "big.conf", text);
    c = loadFile((d.path() / "big.conf").string());
    EXPECT_TRUE(c) << c.error().message;
    mdevmc::test::writeFile(d.path() / "big.conf", text + "#");
    c = loadFile((d.path() / "big.conf").string());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, "configuration file '" + (d.path() / "big.conf").string() +
                                     "' is larger than 65536 bytes");
}

TEST(Config, UnreadableFileIsAnErrorNotTheDefaults) {
    mdevmc::test::TempDir d;
    mdevmc::test::writeFile(d.path() / "m.conf", "mode = audit\n");
    const auto root = Root::open("/");
    const std::string path = (d.path() / "m.conf").string();
    for (const int err : {EIO, EACCES, ETIMEDOUT}) {
        mdevmc::test::ScriptedAttrIo io;
        io.lookupsFrom(*root);
        io.failLookups(path, err);
        auto c = loadConfig(path, io, Deadline::never());
        ASSERT_FALSE(c) << err;
        EXPECT_EQ(c.error().err, err);
        EXPECT_EQ(c.error().message.rfind("cannot read configuration file '" + path + "' (", 0), 0U)
            << c.error().message;
    }
}

TEST(Config, UnlistableDropInDirectoryIsAnError) {
    mdevmc::test::TempDir d;
    mdevmc::test::writeFile(d.path() / "m.conf", "mode = audit\n");
    const auto root = Root::open("/");
    const std::string path = (d.path() / "m.conf").string();
    mdevmc::test::ScriptedAttrIo io;
    io.lookupsFrom(*root);
    io.failLookups(path + ".d", EIO);
    auto c = loadConfig(path, io, Deadline::never());
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("cannot list configuration directory"), std::string::npos);
    // A missing directory is no error.
    mdevmc::test::ScriptedAttrIo fine;
    fine.lookupsFrom(*root);
    ASSERT_TRUE(loadConfig(path, fine, Deadline::never()));
}

TEST(Config, EveryErrorIsReportedWithItsLine) {
    const auto l = parseConfigAll("timeout_ms = 100\nbogus = 1\nmode = strict\n\nsyslog maybe\n"
                                  "attr_timeout_ms = 300\n",
                                  "/etc/m.conf");
    ASSERT_EQ(l.errors.size(), 3U);
    EXPECT_EQ(l.errors[0].message, "/etc/m.conf:2: unknown key 'bogus'");
    EXPECT_EQ(l.errors[1].message, "/etc/m.conf:3: 'mode' takes enforce or audit, not 'strict'");
    EXPECT_EQ(l.errors[2].message, "/etc/m.conf:5: expected 'key = value'");
    // The valid lines, before and after the errors, are applied.
    EXPECT_EQ(l.config.timeout, 100ms);
    EXPECT_EQ(l.config.attr_timeout, 300ms);
    EXPECT_EQ(l.config.mode, Mode::Enforce);
    // As one error (the hook's refusal), every one of them.
    auto c = parseConfig("bogus = 1\nmode = strict\n", "m.conf");
    ASSERT_FALSE(c);
    EXPECT_EQ(
        c.error().message,
        "m.conf:1: unknown key 'bogus'; m.conf:2: 'mode' takes enforce or audit, not 'strict'");
    EXPECT_EQ(c.error().err, EINVAL);
}

TEST(Config, TheCombinedErrorIsBounded) {
    std::string text;
    for (int i = 0; i < 1000; ++i) {
        text += "bogus = 1\n";
    }
    const auto l = parseConfigAll(text, "m.conf");
    EXPECT_EQ(l.errors.size(), 1000U);
    const Error e = combineErrors(l.errors);
    EXPECT_EQ(std::count(e.message.begin(), e.message.end(), ';'), 8);
    EXPECT_NE(e.message.find("; and 992 more configuration errors"), std::string::npos);
}

TEST(Config, ErrorsOfTheFileAndItsDropInsAreAllCollected) {
    mdevmc::test::TempDir d;
    mdevmc::test::writeFile(d.path() / "m.conf", "mode = strict\ntimeout_ms = 900\n");
    mdevmc::test::writeFile(d.path() / "m.conf.d/10-a.conf", "syslog = maybe\n");
    mdevmc::test::writeFile(d.path() / "m.conf.d/20-b.conf", "\nbogus = 2\n");
    const auto root = Root::open("/");
    DirectAttrIo io(*root);
    const std::string path = (d.path() / "m.conf").string();
    const auto l = loadConfigAll(path, io, Deadline::never());
    ASSERT_EQ(l.errors.size(), 3U);
    EXPECT_EQ(l.errors[0].message, path + ":1: 'mode' takes enforce or audit, not 'strict'");
    EXPECT_EQ(l.errors[1].message, path + ".d/10-a.conf:1: 'syslog' takes yes or no, not 'maybe'");
    EXPECT_EQ(l.errors[2].message, path + ".d/20-b.conf:2: unknown key 'bogus'");
    EXPECT_EQ(l.config.timeout, 900ms);
    EXPECT_FALSE(loadConfig(path, io, Deadline::never()));
}
