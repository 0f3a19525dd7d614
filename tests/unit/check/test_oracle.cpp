#include "check/oracle.hpp"
#include "fake_sysfs.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace mdevmc;
using mdevmc::test::readFile;
using mdevmc::test::TempDir;
using mdevmc::test::writeFile;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = OracleAnswer::Kind;

namespace {

constexpr const char* kUuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

OracleAnswer rec(std::string_view out) {
    return parseOracleAnswer(out, true);
}
OracleAnswer chk(std::string_view out) {
    return parseOracleAnswer(out, false);
}

bool isProtocolError(const OracleAnswer& a) {
    return a.kind == Kind::Unknown && a.text.rfind("the oracle", 0) == 0;
}

} // namespace

TEST(OracleAnswer, Names) {
    EXPECT_STREQ(toString(Kind::Token), "token");
    EXPECT_STREQ(toString(Kind::Unclaimed), "unclaimed");
    EXPECT_STREQ(toString(Kind::Compatible), "compatible");
    EXPECT_STREQ(toString(Kind::Incompatible), "incompatible");
    EXPECT_STREQ(toString(Kind::Unknown), "unknown");
}

TEST(OracleAnswer, RecordForms) {
    OracleAnswer a = rec("token mtty-v1:mtty-2:ABC\n");
    EXPECT_EQ(a.kind, Kind::Token);
    EXPECT_EQ(a.text, "mtty-v1:mtty-2:ABC");
    a = rec("token AQ==");
    EXPECT_EQ(a.kind, Kind::Token);
    EXPECT_EQ(a.text, "AQ==");
    a = rec("token t\nanything after the first line\n\x01\x02");
    EXPECT_EQ(a.kind, Kind::Token);
    EXPECT_EQ(a.text, "t");
    a = rec("token " + std::string(4096, '~'));
    EXPECT_EQ(a.kind, Kind::Token);
    EXPECT_EQ(a.text.size(), 4096U);
    a = rec("unclaimed\n");
    EXPECT_EQ(a.kind, Kind::Unclaimed);
    EXPECT_EQ(a.text, "");
    a = rec("unknown NVML is not loaded\n");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text, "NVML is not loaded");
}

TEST(OracleAnswer, RecordMalformations) {
    for (const std::string& bad : std::vector<std::string>{
             "token\n", "token \n", "token a b\n", "token " + std::string(4097, 'x'),
             "token abc\r\n", std::string("token ab\x7f", 9), std::string("token caf\xc3\xa9"),
             std::string("token a\tb")}) {
        const OracleAnswer a = rec(bad);
        EXPECT_EQ(a.kind, Kind::Unknown) << bad;
        EXPECT_NE(a.text.find("token is not 1 to 4096 printable ASCII"), std::string::npos)
            << a.text;
    }
    // Answers of `check` are not answers of `record`.
    for (const std::string& bad :
         std::vector<std::string>{"compatible\n", "incompatible other GPU\n"}) {
        const OracleAnswer a = rec(bad);
        EXPECT_TRUE(isProtocolError(a)) << bad;
        EXPECT_NE(a.text.find("not an answer of protocol 1"), std::string::npos) << a.text;
    }
}

TEST(OracleAnswer, CheckForms) {
    EXPECT_EQ(chk("compatible\n").kind, Kind::Compatible);
    EXPECT_EQ(chk("compatible").kind, Kind::Compatible);
    EXPECT_EQ(chk("compatible\ntrailing garbage").kind, Kind::Compatible);
    OracleAnswer a = chk("incompatible the GPU differs: 10de:1eb8 vs 10de:2236\n");
    EXPECT_EQ(a.kind, Kind::Incompatible);
    EXPECT_EQ(a.text, "the GPU differs: 10de:1eb8 vs 10de:2236");
    a = chk("unknown busy, try again\n");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text, "busy, try again");
    EXPECT_EQ(chk("unclaimed").kind, Kind::Unclaimed);
    // A long reason is kept, truncated.
    a = chk("incompatible " + std::string(600, 'r'));
    EXPECT_EQ(a.kind, Kind::Incompatible);
    EXPECT_EQ(a.text, std::string(kMaxOracleReason, 'r'));
    a = chk("unknown " + std::string(513, 'u') + "\n");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text.size(), kMaxOracleReason);
}

TEST(OracleAnswer, CheckMalformations) {
    // Reasons: missing or not printable.
    for (const std::string& bad : std::vector<std::string>{
             "incompatible", "incompatible \n", "unknown",
             std::string("incompatible bad\x01reason"), std::string("unknown tab\there"),
             "incompatible ends\r\n", std::string("incompatible caf\xc3\xa9")}) {
        const OracleAnswer a = chk(bad);
        EXPECT_EQ(a.kind, Kind::Unknown) << bad;
        EXPECT_NE(a.text.find("reason is missing or not printable"), std::string::npos) << a.text;
    }
    // Not an answer of `check`, or not an answer at all.
    for (const std::string& bad : std::vector<std::string>{
             "token abc\n", "compatible yes\n", "unclaimed here\n", "COMPATIBLE\n",
             "compatible\r\n", " compatible\n", "maybe\n", "\n", "", "ok"}) {
        const OracleAnswer a = chk(bad);
        EXPECT_TRUE(isProtocolError(a)) << bad;
        EXPECT_NE(a.text.find("which is not an answer of protocol 1"), std::string::npos) << a.text;
    }
    // The offending line is quoted, made printable and bounded.
    const OracleAnswer a = chk(std::string("maybe\x1b[31m") + std::string(500, 'z'));
    EXPECT_NE(a.text.find("'maybe\\x1b[31m"), std::string::npos) << a.text;
    EXPECT_LT(a.text.size(), 250U);
}

namespace {

// A root with oracle directories; oracles are small sh scripts.
class OracleRun : public ::testing::Test {
protected:
    void SetUp() override {
        auto r = Root::open(dir.path().string());
        ASSERT_TRUE(r);
        root.emplace(std::move(*r));
    }
    fs::path libexec() const { return dir.path() / kOraclesLibexecDir; }
    fs::path etc() const { return dir.path() / kOraclesEtcDir; }

    static void script(const fs::path& p, const std::string& body, bool executable = true) {
        writeFile(p, "#!/bin/sh\n" + body);
        fs::permissions(p, executable ? fs::perms(0755) : fs::perms(0644));
    }
    std::vector<std::string> names(const Config& c = Config{}) {
        DirectAttrIo io(*root);
        Oracles o(*root, io, c);
        return o.names();
    }
    OracleAnswer check(const std::string& name, std::chrono::milliseconds d = 5s,
                       const Config& c = Config{}) {
        DirectAttrIo io(*root);
        Oracles o(*root, io, c);
        return o.check(name, kUuid, "mtty-2", "mtty", "tok", Deadline::after(d));
    }
    OracleAnswer record(const std::string& name, std::chrono::milliseconds d = 5s) {
        const Config c;
        DirectAttrIo io(*root);
        Oracles o(*root, io, c);
        return o.record(name, kUuid, "mtty-2", "mtty", Deadline::after(d));
    }

    TempDir dir;
    std::optional<Root> root;
};

using Clock = std::chrono::steady_clock;

bool running(pid_t pid) {
    const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(") ");
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' &&
           stat[paren + 2] != 'X';
}

} // namespace

TEST_F(OracleRun, DiscoveryEtcOverridesLibexecAndNamesAreSorted) {
    script(libexec() / "zeta", "echo compatible\n");
    script(libexec() / "alpha", "echo 'incompatible from libexec'\n");
    script(etc() / "alpha", "echo 'incompatible from etc'\n");
    script(etc() / "mid_1", "echo compatible\n");
    EXPECT_EQ(names(), (std::vector<std::string>{"alpha", "mid_1", "zeta"}));
    const OracleAnswer a = check("alpha");
    EXPECT_EQ(a.kind, Kind::Incompatible);
    EXPECT_EQ(a.text, "from etc");
}

TEST_F(OracleRun, DiscoverySkipsWhatCannotRun) {
    script(libexec() / "good", "echo compatible\n");
    script(libexec() / "noexec", "echo compatible\n", false);
    script(libexec() / "Bad.Name", "echo compatible\n");
    script(libexec() / std::string(33, 'l'), "echo compatible\n");
    fs::create_directories(libexec() / "adir");
    fs::create_directory_symlink("/nonexistent", libexec() / "dangling");
    EXPECT_EQ(names(), std::vector<std::string>{"good"});
    const OracleAnswer a = check("noexec");
    EXPECT_EQ(a.kind, Kind::Unclaimed);
    EXPECT_NE(a.text.find("is not an executable file"), std::string::npos) << a.text;
    const OracleAnswer missing = check("absent");
    EXPECT_EQ(missing.kind, Kind::Unclaimed);
    EXPECT_EQ(missing.text, "oracle absent is not installed on this host");
    const OracleAnswer invalid = check("../good");
    EXPECT_EQ(invalid.kind, Kind::Unclaimed);
    EXPECT_NE(invalid.text.find("is not valid"), std::string::npos);
}

TEST_F(OracleRun, SymlinkToDevNullInEtcDisables) {
    script(libexec() / "nvml", "echo compatible\n");
    script(libexec() / "other", "echo compatible\n");
    fs::create_directories(etc());
    fs::create_symlink("/dev/null", etc() / "nvml");
    EXPECT_EQ(names(), std::vector<std::string>{"other"});
    const OracleAnswer a = check("nvml");
    EXPECT_EQ(a.kind, Kind::Unclaimed);
    EXPECT_NE(a.text.find("oracle nvml is disabled"), std::string::npos) << a.text;
    // A link in etc to a script inside the root runs that script.
    script(dir.path() / "opt/real-other", "echo 'incompatible linked'\n");
    fs::create_symlink("../../../opt/real-other", etc() / "other");
    EXPECT_EQ(names(), std::vector<std::string>{"other"});
    EXPECT_EQ(check("other").text, "linked");
}

TEST_F(OracleRun, ConfigurationSelectsOracles) {
    script(libexec() / "a", "echo compatible\n");
    script(libexec() / "b", "echo compatible\n");
    script(libexec() / "c", "echo compatible\n");
    Config none;
    none.oracles_auto = false;
    EXPECT_TRUE(names(none).empty());
    Config list;
    list.oracles_auto = false;
    list.oracles = {"c", "a", "notinstalled"};
    EXPECT_EQ(names(list), (std::vector<std::string>{"a", "c"}));
    // From the configuration's own syntax.
    auto parsed = parseConfig("oracles = b, c\n", "t.conf");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(names(*parsed), (std::vector<std::string>{"b", "c"}));
    parsed = parseConfig("oracles = none\n", "t.conf");
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(names(*parsed).empty());
    parsed = parseConfig("oracles = none\noracles = auto\n", "t.conf");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(names(*parsed).size(), 3U);
}

TEST_F(OracleRun, NoOracleDirectories) {
    EXPECT_TRUE(names().empty());
}

TEST_F(OracleRun, ArgumentsOfRecordAndCheck) {
    script(libexec() / "args", "IFS=,; echo \"token $#,$*\"\n");
    OracleAnswer a = record("args");
    EXPECT_EQ(a.kind, Kind::Token);
    EXPECT_EQ(a.text, std::string("4,record,") + kUuid + ",mtty-2,mtty");
    script(libexec() / "args", "IFS=,; echo \"incompatible $#,$*\"\n");
    a = check("args");
    EXPECT_EQ(a.kind, Kind::Incompatible);
    EXPECT_EQ(a.text, std::string("5,check,") + kUuid + ",mtty-2,mtty,tok");
}

TEST_F(OracleRun, HangIsCannotTellWithinTheDeadline) {
    script(libexec() / "hang", "sleep 100\necho compatible\n");
    const auto start = Clock::now();
    const OracleAnswer a = check("hang", 1000ms);
    const auto took = Clock::now() - start;
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text, "oracle hang did not answer within its deadline (timed out)");
    EXPECT_GE(took, 900ms);
    EXPECT_LT(took, 3000ms); // the deadline + 2 s: a bound, not a benchmark
}

TEST_F(OracleRun, CrashExitStatusAndGarbage) {
    script(libexec() / "crash", "kill -SEGV $$\necho compatible\n");
    OracleAnswer a = check("crash");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text, "oracle crash was killed by signal " + std::to_string(SIGSEGV));

    script(libexec() / "three", "echo compatible\nexit 3\n");
    a = check("three");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text, "oracle three exited with status 3");

    script(libexec() / "garbage", "printf 'sure, why not\\n'\n");
    a = check("garbage");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text, "oracle garbage: the oracle answered 'sure, why not', which is not an "
                      "answer of protocol 1");

    script(libexec() / "silent", "exit 0\n");
    a = check("silent");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_NE(a.text.find("oracle silent: "), std::string::npos) << a.text;

    // Not a script the kernel can execute.
    writeFile(libexec() / "notelf", "\x7f"
                                    "ELF garbage");
    fs::permissions(libexec() / "notelf", fs::perms(0755));
    a = check("notelf");
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_EQ(a.text, "oracle notelf exited with status 127");
}

TEST_F(OracleRun, HugeOutputIsBounded) {
    script(libexec() / "flood",
           "echo compatible\nexec dd if=/dev/zero bs=65536 count=16 2>/dev/null\n");
    const auto start = Clock::now();
    const OracleAnswer a = check("flood", 3000ms);
    const auto took = Clock::now() - start;
    // Its 1 MB cannot be read to the end: it is stopped, and cannot tell.
    EXPECT_EQ(a.kind, Kind::Unknown);
    EXPECT_LT(a.text.size(), 200U);
    EXPECT_LT(took, 5000ms);
    // One long first line: bounded too, and not an answer.
    script(libexec() / "longline", "exec dd if=/dev/zero bs=65536 count=16 2>/dev/null\n");
    const OracleAnswer b = check("longline", 3000ms);
    EXPECT_EQ(b.kind, Kind::Unknown);
    EXPECT_LT(b.text.size(), 300U);
}

TEST_F(OracleRun, GrandchildHoldingStdoutIsKilledWithTheGroup) {
    script(libexec() / "daemon", "sleep 100 &\necho $! > \"$MDEV_MIGCHECK_ROOT/grandchild.pid\"\n"
                                 "echo compatible\n");
    const auto start = Clock::now();
    const OracleAnswer a = check("daemon", 1000ms);
    const auto took = Clock::now() - start;
    EXPECT_LT(took, 3000ms);
    // No end of output came before the deadline: it cannot tell.
    EXPECT_EQ(a.kind, Kind::Unknown);
    pid_t pid = 0;
    std::istringstream(readFile(dir.path() / "grandchild.pid")) >> pid;
    ASSERT_GT(pid, 0);
    for (int i = 0; i < 200 && running(pid); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_FALSE(running(pid)) << "the background sleep " << pid << " survived";
    if (running(pid)) {
        ::kill(pid, SIGKILL);
    }
}

TEST_F(OracleRun, EnvironmentIsOnlyTheProtocols) {
    // The oracle sees its initial environment: the process's own, from /proc.
    script(libexec() / "env", "echo \"token $(tr '\\000' '|' < /proc/$$/environ)\"\n");
    ::setenv("MDEVMC_TEST_SECRET", "leak", 1);
    const char* saved_ld = ::getenv("LD_LIBRARY_PATH");
    const std::string saved = saved_ld != nullptr ? saved_ld : "";
    ::unsetenv("LD_LIBRARY_PATH");
    OracleAnswer a = record("env", 4000ms);
    ASSERT_EQ(a.kind, Kind::Token) << a.text;
    std::vector<std::string> vars;
    std::istringstream in(a.text);
    for (std::string v; std::getline(in, v, '|');) {
        if (!v.empty()) {
            vars.push_back(v);
        }
    }
    std::sort(vars.begin(), vars.end());
    ASSERT_EQ(vars.size(), 4U) << a.text;
    EXPECT_EQ(vars[0].rfind("MDEV_MIGCHECK_DEADLINE_MS=", 0), 0U);
    const long ms = std::stol(vars[0].substr(std::string("MDEV_MIGCHECK_DEADLINE_MS=").size()));
    EXPECT_GT(ms, 0);
    EXPECT_LE(ms, 4000);
    EXPECT_EQ(vars[1], "MDEV_MIGCHECK_ORACLE_PROTOCOL=1");
    EXPECT_EQ(vars[2], "MDEV_MIGCHECK_ROOT=" + dir.path().string());
    EXPECT_EQ(vars[3], "PATH=/usr/sbin:/usr/bin:/sbin:/bin");

    // LD_LIBRARY_PATH is passed on when set.
    ::setenv("LD_LIBRARY_PATH", "/opt/nvidia/lib", 1);
    a = record("env");
    ::unsetenv("MDEVMC_TEST_SECRET");
    if (saved_ld != nullptr) {
        ::setenv("LD_LIBRARY_PATH", saved.c_str(), 1);
    } else {
        ::unsetenv("LD_LIBRARY_PATH");
    }
    ASSERT_EQ(a.kind, Kind::Token) << a.text;
    EXPECT_NE(a.text.find("|LD_LIBRARY_PATH=/opt/nvidia/lib|"), std::string::npos) << a.text;
    EXPECT_EQ(a.text.find("MDEVMC_TEST_SECRET"), std::string::npos) << a.text;
}

TEST_F(OracleRun, StandardStreamsAndNoInheritedDescriptors) {
    // A descriptor the caller leaked (no O_CLOEXEC) must not reach the oracle.
    const int fd = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::dup2(fd, 57), 57);
    ::close(fd);
    script(libexec() / "fds", "in=$(readlink /proc/$$/fd/0)\nerr=$(readlink /proc/$$/fd/2)\n"
                              "out=$(readlink /proc/$$/fd/1)\n"
                              "if [ -e /proc/$$/fd/57 ]; then leak=yes; else leak=no; fi\n"
                              "echo \"token in=$in,err=$err,leak=$leak,out=$out\"\n"
                              "echo 'to stderr' >&2\n");
    const OracleAnswer a = record("fds");
    ::close(57);
    ASSERT_EQ(a.kind, Kind::Token) << a.text;
    EXPECT_EQ(a.text.rfind("in=/dev/null,err=/dev/null,leak=no,out=pipe:", 0), 0U) << a.text;
}
