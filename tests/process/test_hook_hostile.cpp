// Hostile input to the hook, run as libvirt runs it: documents built to slip
// past the check, text built to forge a line on libvirt's error message,
// sizes built to make it slow, and a hostile environment (closed or full
// standard streams, an unreadable configuration).  Each case names the
// class of attack it stands for.
#include "fake_sysfs.hpp"
#include "subprocess.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace mdevmc;
using namespace mdevmc::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kU1 = "c2177883-f1bb-47f0-914d-32a22e3a8804";
constexpr const char* kP1 = "0000:00:02.0";
constexpr const char* kType = "i915-GVTg_V5_4";
const std::string kRefusing = "mdev-migcheck: refusing migration of vgpu1: ";

std::string sample(const std::string& name) {
    return readFile(std::string(MDEVMC_SAMPLES_DIR) + "/" + name);
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        const std::size_t nl = s.find('\n', pos);
        out.push_back(s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        pos = nl == std::string::npos ? s.size() : nl + 1;
    }
    return out;
}

// Every line of ERR is one of the hook's: its prefix, no control byte.
void expectOnlyHookLines(const std::string& err) {
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(err.back(), '\n');
    for (const auto& l : lines(err)) {
        EXPECT_EQ(l.rfind("mdev-migcheck: ", 0), 0U) << "line: " << l;
        for (const char c : l) {
            const auto u = static_cast<unsigned char>(c);
            EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "byte " << static_cast<int>(u) << " in " << l;
        }
    }
}

std::string uuidOf(int i) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", i, i);
    return buf;
}

std::string hostdev(const std::string& uuid) {
    return "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='" + uuid +
           "'/></source></hostdev>";
}

// A domain with HOSTDEVS and the metadata RECORDS.
std::string domain(const std::string& hostdevs, const std::string& records = "") {
    std::string x = "<domain type='kvm'><name>vgpu1</name>"
                    "<uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001</uuid>";
    if (!records.empty()) {
        x += "<metadata><mdevmc:migcheck xmlns:mdevmc='urn:mdev-migcheck:metadata:1' "
             "host='hostA'>" +
             records + "</mdevmc:migcheck></metadata>";
    }
    return x + "<devices>" + hostdevs + "</devices></domain>";
}

std::string record(const std::string& uuid, const std::string& type = kType) {
    return "<mdevmc:mdev uuid='" + uuid + "' type='" + type + "' parent='" + kP1 +
           "' version='8086-193b-i915-GVTg_V5_4-5.2'/>";
}

} // namespace

class HookHostile : public ::testing::Test {
protected:
    void SetUp() override {
        sys.addType(kP1, kType, "8086-193b-i915-GVTg_V5_4-5.3");
        sys.addDevice(kU1, kP1, kType);
        writeConfig("attr_timeout_ms = 300\ntimeout_ms = 2000\nsyslog = no\n");
    }
    void writeConfig(const std::string& text) {
        writeFile(dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf", text);
    }
    std::vector<std::string> env() const {
        return libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + dir.path().string()});
    }
    RunResult migrate(const std::string& xml) {
        return runProgram({MDEVMC_HOOK, "vgpu1", "migrate", "begin", "-"}, env(), xml);
    }
    // The hook run by sh after REDIRECT ("exec 2>&-").
    RunResult migrateAfter(const std::string& redirect, const std::string& xml) {
        return runProgram(
            {"/bin/sh", "-c", redirect + "; exec \"$0\" vgpu1 migrate begin -", MDEVMC_HOOK}, env(),
            xml);
    }

    TempDir dir;
    FakeSysfs sys{dir.path()};
};

// Bypass: an mdev hostdev in a document the front end cannot read as ASCII.
TEST_F(HookHostile, Utf16DocumentIsNeverAcceptedUnchecked) {
    const std::string ascii = sample("vgpu-one-mdev.xml");
    std::string utf16 = "\xff\xfe";
    for (const char c : ascii) {
        utf16 += c;
        utf16 += '\0';
    }
    const RunResult r = migrate(utf16);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    expectOnlyHookLines(r.err);
}

// Bypass: what libvirt reads as an mdev hostdev, spelt otherwise.
TEST_F(HookHostile, EverySpellingOfAnMdevHostdevIsChecked) {
    const std::string hd = "<source><address uuid='" + std::string(kU1) + "'/></source></hostdev>";
    for (const std::string& devices :
         {"<devices/><devices><hostdev mode='subsystem' type='mdev'>" + hd + "</devices>",
          "<devices><hostdev type='mdev'>" + hd + "</devices>",
          "<devices><hostdev mode='subsystem' type='&#109;dev'>" + hd + "</devices>",
          "<devices><hostdev mode='subsystem' type = \"mdev\">" + hd + "</devices>"}) {
        const std::string xml = "<domain type='kvm'><name>vgpu1</name>" + devices + "</domain>";
        const RunResult r = migrate(xml);
        EXPECT_EQ(r.exit_code, 1) << devices;
        EXPECT_NE(r.err.find("the source host recorded nothing for it"), std::string::npos)
            << devices << ": " << r.err;
    }
}

// Forged line: a recorded type with a newline and a fake verdict in it.
TEST_F(HookHostile, TextFromTheSourceCannotForgeALine) {
    const std::string forged = "mdev-migcheck: accepted: all fine";
    const std::string xml = domain(hostdev(kU1), record(kU1, "x&#10;" + forged + "&#13;&#27;[2J"));
    const RunResult r = migrate(xml);
    EXPECT_EQ(r.exit_code, 1);
    expectOnlyHookLines(r.err);
    for (const auto& l : lines(r.err)) {
        EXPECT_NE(l, forged);
    }
}

// Forged line: libxml2's own text (a second line for bytes that are not
// UTF-8, a carriage return from a namespace).
TEST_F(HookHostile, ParserErrorsAreOneEscapedLine) {
    for (const std::string& xml :
         {domain(hostdev(kU1)) + "\xc9\xff\xff", "<domain><name>\xc9\xff</name>" + hostdev(kU1),
          "<domain xmlns:x='a&#13;b'><name>vgpu1</name><devices>" + hostdev(kU1) +
              "</devices></domain>"}) {
        const RunResult r = migrate(xml);
        EXPECT_EQ(r.exit_code, 1);
        expectOnlyHookLines(r.err);
        EXPECT_EQ(lines(r.err).size(), 1U) << r.err;
    }
}

// Forged line: control bytes in the configuration.
TEST_F(HookHostile, ConfigurationErrorsAreEscaped) {
    writeConfig(std::string("mode = a\x1b[2Jb\0c\n", 15));
    const RunResult r = migrate(sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 1);
    expectOnlyHookLines(r.err);
    EXPECT_NE(r.err.find("\\x1b"), std::string::npos) << r.err;
}

// Hang: a configuration that cannot be read as a file is an error at once.
TEST_F(HookHostile, ConfigurationThatIsNotAFileRefusesAtOnce) {
    const auto conf = dir.path() / "etc/mdev-migcheck/mdev-migcheck.conf";
    std::filesystem::remove(conf);
    ASSERT_EQ(::mkfifo(conf.c_str(), 0600), 0);
    RunResult r = migrate(sample("vgpu-annotated.xml"));
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << r.err;
    std::filesystem::remove(conf);
    std::filesystem::create_directory(conf);
    r = migrate(sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << r.err;
    // A domain without mdevs is never refused for it.
    EXPECT_EQ(migrate(sample("no-mdev.xml")).exit_code, 0);
}

// Cost: thousands of records are handled in linear time (quadratically,
// 8,000 took longer than the whole budget and ended in the backstop).
TEST_F(HookHostile, ThousandsOfRecordsStillGetTheirVerdict) {
    std::string records = record(kU1);
    for (int i = 1; i <= 8000; ++i) {
        records += record(uuidOf(i));
    }
    const RunResult r = migrate(domain(hostdev(kU1), records));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, ""); // accepted: no XML handed back
}

// Cost: every hostdev keeps its own verdict, in bounded output.
TEST_F(HookHostile, ManyHostdevsKeepPerDeviceVerdictsInBoundedOutput) {
    std::string hostdevs;
    for (int i = 1; i <= 300; ++i) {
        hostdevs += hostdev(uuidOf(i));
    }
    const RunResult r = migrate(domain(hostdevs, record(uuidOf(1))));
    EXPECT_EQ(r.exit_code, 1);
    expectOnlyHookLines(r.err);
    const auto ls = lines(r.err);
    ASSERT_EQ(ls.size(), 32U);
    EXPECT_EQ(ls.back(),
              "mdev-migcheck: vgpu1: 269 more mdevs refused (every verdict is in the log)");
}

// Bypass or false refusal: documents the engine cannot parse.  Without an
// mdev hostdev they are accepted; with one, refused.
TEST_F(HookHostile, UnparsableDocumentsAreRefusedOnlyWithAnMdevHostdev) {
    std::string deep_open;
    std::string deep_close;
    for (int i = 0; i < 300; ++i) {
        deep_open += "<x>";
        deep_close += "</x>";
    }
    const std::string mention = "<description>an mdev test</description>";
    const std::string deep = "<domain><name>vgpu1</name><metadata>" + deep_open + mention +
                             deep_close + "</metadata><devices>";
    EXPECT_EQ(migrate(deep + "</devices></domain>").exit_code, 0);
    const RunResult r = migrate(deep + hostdev(kU1) + "</devices></domain>");
    EXPECT_EQ(r.exit_code, 1);
    expectOnlyHookLines(r.err);
}

// Memory and bypass: a document larger than the hook holds.
TEST_F(HookHostile, HugeDocumentsAreScannedNotHeld) {
    const std::string filler =
        "<description>an mdev " + std::string(20 << 20, 'a') + "</description>";
    const std::string plain = "<domain><name>vgpu1</name>" + filler + "<devices/></domain>";
    RunResult r = migrate(plain);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const std::string with =
        "<domain><name>vgpu1</name>" + filler + "<devices>" + hostdev(kU1) + "</devices></domain>";
    r = migrate(with);
    EXPECT_EQ(r.exit_code, 1);
    expectOnlyHookLines(r.err);
    EXPECT_NE(r.err.find("is larger than the 16777216 bytes"), std::string::npos) << r.err;
}

// Environment: closed standard streams at start.
TEST_F(HookHostile, ClosedStderrDoesNotTurnAnAcceptIntoARefusal) {
    const RunResult r = migrateAfter("exec 2>&-", sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
}

// Environment: stdout on a full device.  An accepted check hands no XML
// back (libvirt would taint the domain), so there is nothing to fail; a
// refusal still says why on stderr.
TEST_F(HookHostile, FullStdoutChangesNothing) {
    RunResult r = migrateAfter("exec >/dev/full", sample("vgpu-annotated.xml"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    // Without a record and without a domain UUID (no note can name it), the
    // check refuses at migrate begin.
    std::string unrecorded = sample("vgpu-one-mdev.xml");
    const auto at = unrecorded.find("<uuid>");
    ASSERT_NE(at, std::string::npos);
    unrecorded.erase(at, unrecorded.find("</uuid>") + 7 - at);
    r = migrateAfter("exec >/dev/full", unrecorded);
    EXPECT_EQ(r.exit_code, 1);
    expectOnlyHookLines(r.err);
    EXPECT_NE(r.err.find("recorded nothing for it"), std::string::npos) << r.err;
}

// Cost and trust: thousands of records of one UUID are found in constant
// time, and neither conflicting record is trusted.
TEST_F(HookHostile, DuplicateRecordsAreRefusedInLinearTime) {
    std::string records;
    for (int i = 0; i < 4000; ++i) {
        records += record(kU1);
    }
    std::string hostdevs;
    for (int i = 0; i < 256; ++i) {
        hostdevs += hostdev(kU1);
    }
    const RunResult r = migrate(domain(hostdevs, records));
    EXPECT_EQ(r.exit_code, 1);
    expectOnlyHookLines(r.err);
    EXPECT_NE(r.err.find("the UUID is recorded more than once"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("did not finish in time"), std::string::npos) << r.err;
}
