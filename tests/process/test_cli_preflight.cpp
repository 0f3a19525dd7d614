// mdev-migcheck preflight from a simulated source host to simulated
// targets, reached through a stand-in for ssh (--ssh, MDEV_MIGCHECK_SSH)
// that runs the remote command as sshd would: `sh -c COMMAND`, with the
// target's simulated root and a PATH that holds this build's mdev-migcheck
// (or not: a host without it).  Other stand-ins never answer, fail as an
// unreachable host does (255) or print an older version's JSON.
#include "sim_mount.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace mdevmc::test;
using Json = nlohmann::ordered_json;

namespace {

constexpr const char* kU1 = "a0000000-0000-4000-8000-000000000001";
constexpr const char* kU2 = "a0000000-0000-4000-8000-000000000002";
constexpr const char* kU3 = "a0000000-0000-4000-8000-000000000003";
constexpr const char* kU4 = "a0000000-0000-4000-8000-000000000004";

std::string parent(const std::string& address, const std::string& version, int avail, int group) {
    return R"({"address": ")" + address +
           R"(", "vendor": "8086", "device": "193b", "software_version": ")" + version +
           R"(", "iommu_group_base": )" + std::to_string(group) +
           R"(, "types": [{"id": "i915-GVTg_V5_4", "name": "GVTg_V5_4", "available_instances": )" +
           std::to_string(avail) + "}]}";
}

std::string device(const std::string& uuid, const std::string& address) {
    return R"({"uuid": ")" + uuid + R"(", "parent": ")" + address +
           R"(", "type": "i915-GVTg_V5_4"})";
}

// The source: four VMs' devices on one parent.
std::string sourceTopology() {
    return R"({"parents": [)" + parent("0000:00:02.0", "5.2", 4, 10) + R"(], "devices": [)" +
           device(kU1, "0000:00:02.0") + "," + device(kU2, "0000:00:02.0") + "," +
           device(kU3, "0000:00:02.0") + "," + device(kU4, "0000:00:02.0") + "]}";
}

// B: the same driver, U1 exists there, one instance left for the others.
std::string topologyB() {
    return R"({"parents": [)" + parent("0000:00:02.0", "5.2", 1, 10) + R"(], "devices": [)" +
           device(kU1, "0000:00:02.0") + "]}";
}

// C: U1 exists on an older driver (which rejects the source's version);
// a parent with the source's driver has one instance for the others.
std::string topologyC() {
    return R"({"parents": [)" + parent("0000:00:02.0", "5.0", 4, 10) + "," +
           parent("0000:00:03.0", "5.2", 1, 20) + R"(], "devices": [)" +
           device(kU1, "0000:00:02.0") + "]}";
}

std::string domainXml(const std::string& name, const std::string& uuid) {
    return "<domain type='kvm'><name>" + name +
           "</name><devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'>"
           "<source><address uuid='" +
           uuid + "'/></source></hostdev></devices></domain>\n";
}

class CliPreflight : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
        source = std::make_unique<SimHost>(MDEVMC_SIMFS, sourceTopology());
        b = std::make_unique<SimHost>(MDEVMC_SIMFS, topologyB());
        c = std::make_unique<SimHost>(MDEVMC_SIMFS, topologyC());
        for (const auto& [name, uuid] :
             {std::pair{"vm1", kU1}, {"vm2", kU2}, {"vm3", kU3}, {"vm4", kU4}}) {
            writeFile(dir.path() / (std::string(name) + ".xml"), domainXml(name, uuid));
        }
        std::filesystem::create_directories(dir.path() / "bin");
        std::filesystem::create_symlink(MDEVMC_CLI, dir.path() / "bin/mdev-migcheck");
        // The stand-in for ssh: logs its arguments, then acts as the host
        // named after "--".
        writeFile(ssh(), "#!/bin/sh\n"
                         "printf '%s\\n' \"$*\" >> " +
                             log().string() +
                             "\n"
                             "while [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done\n"
                             "host=$2; cmd=$3\n"
                             "remote() { MDEV_MIGCHECK_ROOT=$1 PATH=" +
                             (dir.path() / "bin").string() +
                             ":/usr/bin:/bin exec sh -c \"$cmd\"; }\n"
                             "case $host in\n"
                             "hostb) remote " +
                             b->root().string() +
                             " ;;\n"
                             "hostc) remote " +
                             c->root().string() +
                             " ;;\n"
                             "bare) PATH=/usr/bin:/bin exec sh -c \"$cmd\" ;;\n"
                             "down) echo \"ssh: connect to host down port 22: No route to host\" "
                             ">&2; exit 255 ;;\n"
                             "stuck) exec sleep 600 ;;\n"
                             "capture) cat > " +
                             (dir.path() / "captured.xml").string() +
                             "; exit 2 ;;\n"
                             "oldie) cat >/dev/null; echo '{\"domain\":\"vm1\",\"compatible\":true,"
                             "\"devices\":[]}'; exit 0 ;;\n"
                             "esac\n"
                             "echo \"unexpected host $host\" >&2; exit 99\n");
        std::filesystem::permissions(ssh(), std::filesystem::perms::owner_all);
    }
    std::filesystem::path ssh() const { return dir.path() / "fake-ssh"; }
    std::filesystem::path log() const { return dir.path() / "ssh.log"; }
    std::string xml(const std::string& vm) const { return (dir.path() / (vm + ".xml")).string(); }

    RunResult preflight(std::vector<std::string> args) {
        args.insert(args.begin(), {MDEVMC_CLI, "preflight"});
        return runProgram(args,
                          libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + source->root().string(),
                                              "MDEV_MIGCHECK_SSH=" + ssh().string()}),
                          "");
    }

    TempDir dir;
    std::unique_ptr<SimHost> source, b, c;
};

// The cell of DOC for DOMAIN and TARGET.
Json cellOf(const Json& doc, const std::string& domain, const std::string& target) {
    for (const auto& c : doc["cells"]) {
        if (c["domain"] == domain && c["target"] == target) {
            return c;
        }
    }
    ADD_FAILURE() << "no cell " << domain << " x " << target;
    return Json();
}

// Expects DOC's cell for vm1 on HOST to be an error for REASON whose
// detail contains DETAIL.
void expectError(const Json& doc, const char* host, const char* reason, const std::string& detail) {
    const Json cell = cellOf(doc, "vm1", host);
    EXPECT_EQ(cell["verdict"], "error") << host;
    EXPECT_EQ(cell["reason"], reason) << host;
    EXPECT_NE(cell["detail"].get<std::string>().find(detail), std::string::npos)
        << host << ": " << cell["detail"];
    EXPECT_TRUE(cell["devices"].is_null()) << host;
}

} // namespace

TEST_F(CliPreflight, MatrixOfVerdicts) {
    const RunResult r =
        preflight({"--xml", xml("vm1"), "--xml", xml("vm2"), "--to", "hostb,hostc"});
    EXPECT_EQ(r.exit_code, 0) << r.err; // each VM can go somewhere
    EXPECT_EQ(r.err, "");
    const std::string out = r.out;
    EXPECT_EQ(out.substr(0, out.find('\n')),
              "DOMAIN  TARGET  VERDICT     EVIDENCE  REASON          DETAIL")
        << out;
    EXPECT_NE(
        out.find("vm1     hostb   compatible  protocol  compatible      every mdev (1) can be "
                 "migrated there\n"),
        std::string::npos)
        << out;
    EXPECT_NE(out.find("vm1     hostc   refused     protocol  rejected        mdev " +
                       std::string(kU1) +
                       " (i915-GVTg_V5_4) on parent 0000:00:02.0: target driver rejected the "
                       "source migration_version (EINVAL: Invalid argument): the source's "
                       "'8086-193b-i915-GVTg_V5_4-5.2', this host's "
                       "'8086-193b-i915-GVTg_V5_4-5.0'"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("vm2     hostb   provision   protocol  device-missing  1 of 1 mdev(s) would "
                       "have to be created there, and can be\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("vm2     hostc   provision"), std::string::npos) << out;
    // Every cell asked its target once, in batch mode, with -- before the host.
    const std::string calls = readFile(log());
    EXPECT_EQ(std::count(calls.begin(), calls.end(), '\n'), 4) << calls;
    EXPECT_NE(calls.find("-T -o BatchMode=yes -o ConnectTimeout=10 -- hostb mdev-migcheck check "
                         "--xml - --json\n"),
              std::string::npos)
        << calls;
}

TEST_F(CliPreflight, JsonCells) {
    const RunResult r =
        preflight({"--xml", xml("vm2"), "--to", "hostb", "--to", "hostc", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const Json doc = Json::parse(r.out);
    ASSERT_EQ(doc["cells"].size(), 2U) << r.out;
    const Json cb = cellOf(doc, "vm2", "hostb");
    EXPECT_EQ(cb["verdict"], "provision");
    EXPECT_EQ(cb["reason"], "device-missing");
    EXPECT_EQ(cb["provision"], Json::parse(R"({"needed": true, "possible": true})"));
    EXPECT_FALSE(cb["mdev_migcheck_version"].is_null());
    EXPECT_FALSE(cb["host"].is_null());
    ASSERT_EQ(cb["devices"].size(), 1U);
    EXPECT_EQ(cb["devices"][0]["uuid"], kU2);
    EXPECT_EQ(cb["devices"][0]["candidates"][0]["available_instances"], 1);
    EXPECT_TRUE(doc.find("plan") == doc.end());
}

// --plan counts the instances the VMs placed before take: B has one left
// (vm2 takes it), C one on its compatible parent (vm3), none for vm4.
TEST_F(CliPreflight, PlanCountsCapacityAcrossVms) {
    RunResult r = preflight({"--xml", xml("vm1"), "--xml", xml("vm2"), "--xml", xml("vm3"), "--xml",
                             xml("vm4"), "--to", "hostb,hostc", "--plan", "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err; // vm4 is not placed
    const Json doc = Json::parse(r.out);
    ASSERT_EQ(doc["cells"].size(), 8U);
    for (const char* vm : {"vm2", "vm3", "vm4"}) {
        // Each alone could go to either: the cells say so.
        EXPECT_EQ(cellOf(doc, vm, "hostb")["verdict"], "provision") << vm;
        EXPECT_EQ(cellOf(doc, vm, "hostc")["verdict"], "provision") << vm;
    }
    EXPECT_EQ(doc["plan"], Json::parse(std::string(R"([
        {"domain": "vm1", "target": "hostb", "create": [], "why": null},
        {"domain": "vm2", "target": "hostb",
         "create": [{"uuid": ")") + kU2 +
                                       R"(", "type": "i915-GVTg_V5_4", "parent": "0000:00:02.0"}],
         "why": null},
        {"domain": "vm3", "target": "hostc",
         "create": [{"uuid": ")" + kU3 +
                                       R"(", "type": "i915-GVTg_V5_4", "parent": "0000:00:03.0"}],
         "why": null},
        {"domain": "vm4", "target": null, "create": [],
         "why": "hostb: no instance left for its mdevs after the VMs placed before it; hostc: no instance left for its mdevs after the VMs placed before it"}])"))
        << r.out;
    // Without vm4, everything is placed; the table shows the plan.
    r = preflight({"--xml", xml("vm1"), "--xml", xml("vm2"), "--xml", xml("vm3"), "--to",
                   "hostb,hostc", "--plan"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\nplan:\nDOMAIN  PLACED ON  CREATE THERE\n"
                         "vm1     hostb      -\n"
                         "vm2     hostb      mdev " +
                         std::string(kU2) +
                         " (i915-GVTg_V5_4) on 0000:00:02.0\n"
                         "vm3     hostc      mdev " +
                         kU3 + " (i915-GVTg_V5_4) on 0000:00:03.0\n"),
              std::string::npos)
        << r.out;
}

// Hosts that give no answer are errors in their own cells; the command
// does not fail while another host can take the VM.
TEST_F(CliPreflight, HostsWithoutAnAnswer) {
    const RunResult r = preflight({"--xml", xml("vm1"), "--to", "hostb,down,bare,oldie", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err; // hostb can take it
    const Json doc = Json::parse(r.out);
    ASSERT_EQ(doc["cells"].size(), 4U) << r.out;
    EXPECT_EQ(cellOf(doc, "vm1", "hostb")["verdict"], "compatible");
    expectError(doc, "down", "unreachable",
                "ssh failed: ssh: connect to host down port 22: No route to host");
    expectError(doc, "bare", "not-installed",
                "mdev-migcheck is not installed there (or not in PATH): ");
    expectError(doc, "oldie", "too-old", "older mdev-migcheck");
}

// A host that never answers is cut off at --timeout, in its own cell; with
// only such hosts the VM has nowhere to go.
TEST_F(CliPreflight, HungHostIsCutOffAtTheTimeout) {
    const RunResult r =
        preflight({"--xml", xml("vm1"), "--to", "down,stuck", "--timeout", "1", "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(r.finished); // within runProgram's 30 s; stuck sleeps 600 s
    const Json doc = Json::parse(r.out);
    ASSERT_EQ(doc["cells"].size(), 2U) << r.out;
    expectError(doc, "stuck", "timed-out", "did not finish within 1 s (timed out)");
    const RunResult table = preflight({"--xml", xml("vm1"), "--to", "down,bare", "--timeout", "1"});
    EXPECT_EQ(table.exit_code, 1);
    EXPECT_NE(table.out.find("vm1     down    error    -         unreachable    ssh failed: ssh: "
                             "connect to host down port 22: No route to host\n"),
              std::string::npos)
        << table.out;
}

TEST_F(CliPreflight, TargetsAsUsersAndLibvirtUris) {
    const RunResult r =
        preflight({"--xml", xml("vm1"), "--to", "root@hostb,qemu+ssh://admin@hostc:2222/system",
                   "--ssh", ssh().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string calls = readFile(log());
    EXPECT_NE(calls.find("-T -o BatchMode=yes -o ConnectTimeout=10 -l root -- hostb "),
              std::string::npos)
        << calls;
    EXPECT_NE(calls.find("-T -o BatchMode=yes -o ConnectTimeout=10 -l admin -p 2222 -- hostc "),
              std::string::npos)
        << calls;
    EXPECT_NE(r.out.find("vm1     qemu+ssh://admin@hostc:2222/system  refused"), std::string::npos)
        << r.out;
}

TEST_F(CliPreflight, BadTargetsAndUsage) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--to", "-oProxyCommand=touch /tmp/x"},
         "target '-oProxyCommand=touch /tmp/x': a host name must begin with a letter, a digit or "
         "':' (IPv6)"},
        {{"--to", "hostb,host;reboot"},
         "target 'host;reboot': the host name may hold only letters, digits, '.', '-', '_' and "
         "':'"},
        {{"--to", "qemu+ssh:///system"}, "target 'qemu+ssh:///system' names no host"},
        {{"--to", "-l@hostb"},
         "target '-l@hostb': the user name must be 1 to 32 letters, digits, '.', '_' or '-', not "
         "beginning with '-'"},
        {{"--to", "qemu+ssh://hostb:99999/system"},
         "target 'qemu+ssh://hostb:99999/system': port '99999' is not a number from 1 to 65535"},
        {{"--to", "hostb,hostb"}, "target 'hostb' is given twice"},
        {{"--to", "hostb", "--timeout", "0"},
         "--timeout '0' is not a number of seconds from 1 to 3600"},
        {{}, "name the target hosts with --to HOST[,HOST...] (see --help)"},
    };
    for (const auto& [extra, message] : cases) {
        std::vector<std::string> args{"--xml", xml("vm1")};
        args.insert(args.end(), extra.begin(), extra.end());
        const RunResult r = preflight(args);
        EXPECT_EQ(r.exit_code, 2) << message;
        EXPECT_EQ(r.err, "mdev-migcheck preflight: " + message + "\n");
        EXPECT_EQ(r.out, "");
    }
    RunResult r = preflight({"--to", "hostb"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck preflight: name the domains, or give --all or --xml FILE "
                     "(see --help)\n");
    r = preflight({"--xml", xml("vm1"), "--all", "--to", "hostb"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck preflight: --xml takes no domain, --all or --connect\n");
    r = preflight({"--xml", xml("vm1"), "--xml", xml("vm1"), "--to", "hostb"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "mdev-migcheck preflight: domain 'vm1' is given twice\n");
    // No ssh ran for any of them.
    EXPECT_FALSE(std::filesystem::exists(log()));
    // An ssh that cannot be started is an error per cell.
    r = preflight({"--xml", xml("vm1"), "--to", "hostb", "--ssh", "/nonexistent/ssh"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("error    -         ssh-failed  ssh could not be started: ENOENT: No such "
                         "file or directory\n"),
              std::string::npos)
        << r.out;
}

// The libvirt forms, on libvirt's test driver (tests/data/test-node.xml:
// vgpu-running with two mdevs, plain-running without): --all takes the
// running domains with mdevs; their migratable XML, with this host's
// record, reaches the target.
TEST_F(CliPreflight, DomainsFromLibvirt) {
    const std::string uri = "test://" + std::string(MDEVMC_TEST_NODE);
    RunResult r = preflight({"-c", uri, "--all", "--to", "hostb", "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err; // hostb lacks both devices, and the source too
    Json doc = Json::parse(r.out);
    ASSERT_EQ(doc["cells"].size(), 1U) << r.out;
    const Json cell = doc["cells"][0];
    EXPECT_EQ(cell["domain"], "vgpu-running");
    ASSERT_EQ(cell["devices"].size(), 2U) << r.out;
    EXPECT_EQ(cell["devices"][0]["uuid"], "c2177883-f1bb-47f0-914d-32a22e3a8804");
    EXPECT_EQ(cell["reason"], "device-missing");
    EXPECT_EQ(cell["provision"], Json::parse(R"({"needed": true, "possible": false})"));
    // What a target reads: the domain with this host's record.
    r = preflight({"-c", uri, "vgpu-running", "--to", "capture"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const std::string sent = readFile(dir.path() / "captured.xml");
    EXPECT_NE(sent.find("<name>vgpu-running</name>"), std::string::npos) << sent;
    EXPECT_NE(sent.find("urn:mdev-migcheck:metadata:1"), std::string::npos) << sent;
    EXPECT_NE(sent.find(R"(uuid="c2177883-f1bb-47f0-914d-32a22e3a8804")"), std::string::npos)
        << sent;
    r = preflight({"-c", uri, "plain-running", "--to", "hostb"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(
        r.out.find("plain-running  hostb   compatible  -         compatible  no mdev hostdev\n"),
        std::string::npos)
        << r.out;
    r = preflight({"-c", uri, "nosuch", "--to", "hostb"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("mdev-migcheck preflight: no domain 'nosuch'", 0), 0U) << r.err;
}
