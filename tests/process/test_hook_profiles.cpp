// Two simulated hosts with real driver profiles (mdev-simfs examples: no
// migration_version, as every shipping driver): the source records its
// kernel facts with `mdev-migcheck annotate --xml`, the destination's hook
// runs `migrate begin` as libvirt runs it, and the fingerprint decides.
// Each case asserts the exit code and the exact refusal line; the evidence
// is read from `mdev-migcheck check --json` on the same host.
#include "domain/domain_xml.hpp"
#include "sim_mount.hpp"

#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <map>
#include <nlohmann/json.hpp>

using namespace mdevmc;
using namespace mdevmc::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kT4Dev = "0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a";
constexpr const char* kMttyDev = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
constexpr const char* kApDev = "4e2b9a1c-7d0f-4e5a-8b8c-9d0112233445";
constexpr const char* kT4Subject = "mdev 0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a (nvidia-231) on "
                                   "parent 0000:3b:00.0: ";
const std::string kRefusing = "mdev-migcheck: refusing migration of vgpu: ";
// As quoted in a message: the first 80 bytes.
const std::string kDescription =
    "num_heads=4, frl_config=60, framebuffer=2048M, max_resolution=5120x2880, max_ins'... (87 "
    "bytes)";
const std::string kT4TypeDir = "devices/pci0000:00/0000:00:03.0/0000:3b:00.0/"
                               "mdev_supported_types/nvidia-231";

json example(const std::string& name) {
    std::ifstream in(std::string(MDEVMC_SIMFS_EXAMPLES) + "/" + name);
    return json::parse(in);
}

json profile(const std::string& name) {
    std::ifstream in(std::string(MDEVMC_TEST_DATA) + "/profiles/" + name);
    return json::parse(in);
}

json& typeOf(json& topo, const std::string& id) {
    for (auto& t : topo["parents"][0]["types"]) {
        if (t["id"] == id) {
            return t;
        }
    }
    throw std::runtime_error("no type " + id);
}

std::string domain(const std::string& uuid, const std::string& model = "vfio-pci",
                   const std::string& metadata = "") {
    return "<domain type='kvm'>\n  <name>vgpu</name>\n"
           "  <uuid>3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d0aa</uuid>\n" +
           (metadata.empty() ? std::string() : "  <metadata>" + metadata + "</metadata>\n") +
           "  <devices>\n    <hostdev mode='subsystem' type='mdev' model='" + model +
           "'>\n      <source><address uuid='" + uuid +
           "'/></source>\n    </hostdev>\n  </devices>\n</domain>\n";
}

std::string firstLine(const std::string& s) {
    return s.substr(0, s.find('\n'));
}

class HookProfiles : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
    }
    void hosts(const json& source_topo, const json& target_topo,
               const std::string& target_config = "") {
        source = std::make_unique<SimHost>(MDEVMC_SIMFS, source_topo.dump());
        target = std::make_unique<SimHost>(MDEVMC_SIMFS, target_topo.dump());
        writeFile(source->root() / "etc/machine-id", "11111111111111111111111111111111\n");
        writeFile(target->root() / "etc/machine-id", "22222222222222222222222222222222\n");
        writeFile(source->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
                  "attr_timeout_ms = 500\ntimeout_ms = 3000\nsyslog = no\n");
        configure(target_config);
    }
    void configure(const std::string& extra) {
        writeFile(target->root() / "etc/mdev-migcheck/mdev-migcheck.conf",
                  "attr_timeout_ms = 500\ntimeout_ms = 3000\nsyslog = no\n" + extra);
    }
    std::string annotate(const std::string& xml, const SimHost* on = nullptr) {
        const SimHost& h = on != nullptr ? *on : *source;
        const RunResult r =
            runProgram({MDEVMC_CLI, "annotate", "--xml", "-"},
                       libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + h.root().string()}), xml);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    RunResult hook(const std::string& xml, const std::string& op = "migrate",
                   const SimHost* on = nullptr) {
        const SimHost& h = on != nullptr ? *on : *target;
        return runProgram({MDEVMC_HOOK, "vgpu", op, "begin", "-"},
                          libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + h.root().string()}), xml);
    }
    // The first device of `check --json` on the target.
    json check(const std::string& xml, const SimHost* on = nullptr) {
        const SimHost& h = on != nullptr ? *on : *target;
        const RunResult r =
            runProgram({MDEVMC_CLI, "check", "--xml", "-", "--json"},
                       libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + h.root().string()}), xml);
        EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
        try {
            return json::parse(r.out).at("devices").at(0);
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what() << ": " << r.out << r.err;
            return json::object();
        }
    }
    // The refusal line ends with the evidence that decided it, if any, and
    // the host that recorded the source's side.
    void expectRefused(const RunResult& r, const std::string& detail,
                       const std::string& subject = kT4Subject,
                       const std::string& evidence = "fingerprint",
                       const std::string& source_host = "vm") {
        EXPECT_EQ(r.exit_code, 1);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(firstLine(r.err), kRefusing + subject + detail + " (" +
                                        (evidence.empty() ? "" : "evidence: " + evidence + "; ") +
                                        "source host '" + source_host + "')");
    }
    std::unique_ptr<SimHost> source, target;
};

const std::string kNewerDriver =
    "host driver nvidia '550.54.10' on the source, '550.90.07' here (driver_version = "
    "identical); vendor module nvidia_vgpu_vfio '550.54.10' on the source, '550.90.07' here "
    "(driver_version = identical)";

// Every attribute of a `mdev` element, read as mdev-migcheck 0.1 read its
// format-1 record: the element in our namespace, its uuid, type, parent and
// exactly one of version or error.
std::vector<std::map<std::string, std::string>> readAsFormat1(const std::string& xml) {
    std::vector<std::map<std::string, std::string>> out;
    xmlDocPtr doc =
        xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "d.xml", nullptr, XML_PARSE_NONET);
    if (doc == nullptr) {
        ADD_FAILURE() << "not XML: " << xml;
        return out;
    }
    const auto ours = [](const xmlNode* n, const char* name) {
        return n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
               std::string_view(reinterpret_cast<const char*>(n->ns->href)) ==
                   "urn:mdev-migcheck:metadata:1" &&
               std::string_view(reinterpret_cast<const char*>(n->name)) == name;
    };
    std::function<void(const xmlNode*)> walk = [&](const xmlNode* n) {
        for (; n != nullptr; n = n->next) {
            if (ours(n, "mdev")) {
                std::map<std::string, std::string> attrs;
                for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
                    xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
                    attrs[reinterpret_cast<const char*>(a->name)] =
                        v != nullptr ? reinterpret_cast<const char*>(v) : "";
                    xmlFree(v);
                }
                out.push_back(attrs);
            }
            walk(n->children);
        }
    };
    walk(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    return out;
}

} // namespace

TEST_F(HookProfiles, T4SameDriverIsAcceptedByFingerprint) {
    hosts(example("t4-host.json"), example("t4-host.json"));
    const std::string xml = annotate(domain(kT4Dev));
    const RunResult r = hook(xml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, ""); // no XML: libvirt would taint the domain
    // This host's record, as its recorder stores it after the start.
    EXPECT_NE(annotate(xml, target.get())
                  .find("<mdevmc:fact name=\"driver.version\" value=\"550.54.10\"/>"),
              std::string::npos);
    const json v = check(xml);
    EXPECT_EQ(v.value("verdict", ""), "compatible");
    EXPECT_EQ(v.value("evidence", ""), "fingerprint");
    EXPECT_EQ(v.value("detail", ""),
              "the kernel facts match the source's: type, type.name, type.description, "
              "type.device_api, parent.pci, parent.subsystem, driver, driver.version, "
              "vendor_module.version");
    EXPECT_EQ(target->writes(), ""); // nothing to probe: no migration_version
}

TEST_F(HookProfiles, T4NewerDriverHereIsRefusedUnlessSameOrNewer) {
    hosts(example("t4-host.json"), example("t4-host-newer-driver.json"));
    const std::string xml = annotate(domain(kT4Dev));
    expectRefused(hook(xml), kNewerDriver);
    EXPECT_EQ(check(xml).value("reason", ""), "fingerprint-mismatch");

    configure("driver_version = same-or-newer\n");
    RunResult r = hook(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(check(xml).value("evidence", ""), "fingerprint");

    // The configuration named by MDEV_MIGCHECK_CONFIG instead.
    configure("");
    writeFile(target->root() / "other.conf", "syslog = no\ndriver_version = any\n");
    r = runProgram(
        {MDEVMC_HOOK, "vgpu", "migrate", "begin", "-"},
        libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + target->root().string(),
                            "MDEV_MIGCHECK_CONFIG=" + (target->root() / "other.conf").string()}),
        xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(HookProfiles, T4OlderDriverHereIsRefusedEvenBySameOrNewer) {
    hosts(example("t4-host-newer-driver.json"), example("t4-host.json"),
          "driver_version = same-or-newer\n");
    const std::string xml = annotate(domain(kT4Dev));
    expectRefused(hook(xml),
                  "host driver nvidia '550.90.07' on the source, '550.54.10' here "
                  "(driver_version = same-or-newer: this host's is older); vendor module "
                  "nvidia_vgpu_vfio '550.90.07' on the source, '550.54.10' here (driver_version "
                  "= same-or-newer: this host's is older)");
    configure("driver_version = any\n");
    EXPECT_EQ(hook(xml).exit_code, 0);
}

TEST_F(HookProfiles, OtherGpuDescriptionOrType) {
    json other_gpu = example("t4-host.json");
    other_gpu["parents"][0]["pci"]["device"] = "1db4";
    hosts(example("t4-host.json"), other_gpu, "driver_version = any\n");
    const std::string xml = annotate(domain(kT4Dev));
    expectRefused(hook(xml), "GPU '10de:1eb8' on the source, '10de:1db4' here");

    json other_desc = example("t4-host.json");
    typeOf(other_desc, "nvidia-231")["description"] = "num_heads=2, framebuffer=2048M";
    hosts(example("t4-host.json"), other_desc);
    expectRefused(hook(annotate(domain(kT4Dev))),
                  "type.description '" + kDescription +
                      " on the source, 'num_heads=2, framebuffer=2048M' here");

    json other_type = example("t4-host.json");
    other_type["devices"][0]["type"] = "nvidia-232";
    hosts(example("t4-host.json"), other_type);
    const RunResult r = hook(annotate(domain(kT4Dev)));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(firstLine(r.err), kRefusing + "mdev " + kT4Dev +
                                    ": type mismatch: the source has 'nvidia-231', this host has "
                                    "'nvidia-232' on parent 0000:3b:00.0 (source host 'vm')");
}

TEST_F(HookProfiles, SameHostRestoreIsAccepted) {
    hosts(example("t4-host.json"), example("t4-host.json"));
    const std::string xml = annotate(domain(kT4Dev), source.get());
    EXPECT_NE(xml.find("host-id=\"11111111111111111111111111111111\""), std::string::npos) << xml;
    const RunResult r = hook(xml, "restore", source.get());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const json v = check(xml, source.get());
    EXPECT_EQ(v.value("evidence", ""), "fingerprint");
    EXPECT_NE(v.value("detail", "").find("(recorded on this host)"), std::string::npos) << v.dump();
    // On the other host the same record is not "this host's".
    EXPECT_EQ(check(xml).value("detail", "").find("(recorded on this host)"), std::string::npos);
}

TEST_F(HookProfiles, AuditModeAcceptsWhatEnforceRefuses) {
    hosts(example("t4-host.json"), example("t4-host-newer-driver.json"), "mode = audit\n");
    const std::string xml = annotate(domain(kT4Dev));
    const RunResult r = hook(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "");
    EXPECT_NE(annotate(xml, target.get()).find("value=\"550.90.07\""),
              std::string::npos); // this host's record, as its recorder stores it
    // check reports what enforce would do.
    EXPECT_EQ(check(xml).value("verdict", ""), "refused");
}

TEST_F(HookProfiles, DisabledAcceptsAndPrintsNothing) {
    hosts(example("t4-host.json"), example("t4-host-newer-driver.json"), "enabled = no\n");
    const RunResult r = hook(annotate(domain(kT4Dev)));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

TEST_F(HookProfiles, MixedHostsOnlyTheSourceHasMigrationVersion) {
    const json mixed = profile("t4-host-with-migration-version.json");
    hosts(mixed, example("t4-host.json"));
    const std::string xml = annotate(domain(kT4Dev));
    const auto m = DomainXml::parse(xml)->metadata();
    ASSERT_TRUE(m && m->entries.size() == 1);
    EXPECT_EQ(m->entries[0].version, "10de-1eb8-nvidia-231-550.54");
    EXPECT_FALSE(m->entries[0].fingerprint.facts.empty());
    RunResult r = hook(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(check(xml).value("evidence", ""), "fingerprint");
    EXPECT_EQ(target->writes(), "");

    hosts(mixed, example("t4-host-newer-driver.json"));
    expectRefused(hook(annotate(domain(kT4Dev))), kNewerDriver);
}

TEST_F(HookProfiles, Format1RecordHasNoEvidence) {
    hosts(example("t4-host.json"), example("t4-host.json"));
    const std::string old =
        "<mdevmc:migcheck xmlns:mdevmc='urn:mdev-migcheck:metadata:1' host='hostA'>"
        "<mdevmc:mdev uuid='" +
        std::string(kT4Dev) +
        "' type='nvidia-231' parent='0000:3b:00.0' error='ENOENT'/></mdevmc:migcheck>";
    const std::string xml = domain(kT4Dev, "vfio-pci", old);
    expectRefused(hook(xml),
                  "the source host's driver has no migration_version attribute, and it recorded "
                  "no kernel facts (its mdev-migcheck is older than 0.2.0): upgrade mdev-migcheck "
                  "there and record it; next: on the source host, after the upgrade: "
                  "mdev-migcheck annotate vgpu",
                  kT4Subject, "", "hostA");
    EXPECT_EQ(check(xml).value("reason", ""), "no-evidence");
}

TEST_F(HookProfiles, NewerFormatRecordIsStillDecided) {
    hosts(example("t4-host.json"), example("t4-host.json"));
    std::string xml = annotate(domain(kT4Dev));
    const auto fmt = xml.find("format=\"2\"");
    ASSERT_NE(fmt, std::string::npos) << xml;
    xml.replace(fmt, 10, "format=\"3\" future=\"yes\"");
    const auto fact = xml.find("<mdevmc:fact ");
    ASSERT_NE(fact, std::string::npos);
    xml.insert(fact, "<mdevmc:fact name=\"some.future_fact\" value=\"x\"/>"
                     "<mdevmc:capability name=\"precopy\"/>");
    RunResult r = hook(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(check(xml).value("evidence", ""), "fingerprint");
    // A differing fact is still seen in a newer record.
    hosts(example("t4-host.json"), example("t4-host-newer-driver.json"));
    xml = annotate(domain(kT4Dev));
    xml.replace(xml.find("format=\"2\""), 10, "format=\"3\"");
    expectRefused(hook(xml), kNewerDriver);
}

TEST_F(HookProfiles, NewRecordKeepsEveryFormat1Attribute) {
    hosts(profile("t4-host-with-migration-version.json"), example("t4-host.json"));
    const auto with_version = readAsFormat1(annotate(domain(kT4Dev)));
    ASSERT_EQ(with_version.size(), 1U);
    EXPECT_EQ(with_version[0].at("uuid"), kT4Dev);
    EXPECT_EQ(with_version[0].at("type"), "nvidia-231");
    EXPECT_EQ(with_version[0].at("parent"), "0000:3b:00.0");
    EXPECT_EQ(with_version[0].at("version"), "10de-1eb8-nvidia-231-550.54");
    EXPECT_EQ(with_version[0].count("error"), 0U);

    const auto without = readAsFormat1(annotate(domain(kT4Dev), target.get()));
    ASSERT_EQ(without.size(), 1U);
    EXPECT_EQ(without[0].at("uuid"), kT4Dev);
    EXPECT_EQ(without[0].at("type"), "nvidia-231");
    EXPECT_EQ(without[0].at("parent"), "0000:3b:00.0");
    EXPECT_EQ(without[0].at("error"), "ENOENT"); // 0.1: "the driver has no attribute"
    EXPECT_EQ(without[0].count("version"), 0U);
}

TEST_F(HookProfiles, MttyToMtty) {
    hosts(example("mtty-host.json"), example("mtty-host.json"));
    const std::string xml = annotate(domain(kMttyDev));
    const RunResult r = hook(xml);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const json v = check(xml);
    EXPECT_EQ(v.value("evidence", ""), "fingerprint");
    EXPECT_NE(v.value("detail", "").find("parent.path"), std::string::npos) << v.dump();
    // Another mtty module build with the same version: the fingerprint
    // cannot tell them apart (see the mtty-example oracle).
    json other = example("mtty-host.json");
    other["modules"]["mtty"]["version"] = "0.2";
    hosts(example("mtty-host.json"), other);
    expectRefused(hook(annotate(domain(kMttyDev))),
                  "driver module '0.1' on the source, '0.2' here (driver_version = identical)",
                  "mdev " + std::string(kMttyDev) + " (mtty-2) on parent mtty: ");
}

TEST_F(HookProfiles, VfioApWithAnotherMatrixIsRefused) {
    json other = example("vfio-ap-host.json");
    other["devices"][0]["attributes"]["matrix"] = "05.0006\n";
    hosts(example("vfio-ap-host.json"), other);
    const std::string xml = annotate(domain(kApDev, "vfio-ap"));
    expectRefused(hook(xml), "ap.matrix '05.0004,05.0005' on the source, '05.0006' here",
                  "mdev " + std::string(kApDev) + " (vfio_ap-passthrough) on parent matrix: ");
    // The same matrix is accepted.
    hosts(example("vfio-ap-host.json"), example("vfio-ap-host.json"));
    EXPECT_EQ(hook(annotate(domain(kApDev, "vfio-ap"))).exit_code, 0);
}

TEST_F(HookProfiles, FaultOnAFactIsTransient) {
    hosts(example("t4-host.json"), example("t4-host.json"));
    ASSERT_EQ(target->command("fail-read module/nvidia/version EIO"), 0);
    const std::string xml = annotate(domain(kT4Dev));
    expectRefused(hook(xml),
                  "cannot compare host driver nvidia: '550.54.10' on the source, "
                  "unreadable (EIO: Input/output error) here; this may be transient: retry");
    EXPECT_EQ(check(xml).value("reason", ""), "fingerprint-unreadable");
    ASSERT_EQ(target->command("clear all"), 0);
    EXPECT_EQ(hook(xml).exit_code, 0);
}

TEST_F(HookProfiles, HungFactReadIsRefusedWithinTheBudget) {
    hosts(example("t4-host.json"), example("t4-host.json"));
    const std::string xml = annotate(domain(kT4Dev));
    ASSERT_EQ(target->command("hang-read " + kT4TypeDir + "/description"), 0);
    const RunResult r = hook(xml);
    EXPECT_TRUE(r.finished); // exited, and no child left holding its pipes
    EXPECT_LT(r.eof_after, 5000ms);
    expectRefused(r, "cannot compare type.description: '" + kDescription +
                         " on the source, unreadable (ETIMEDOUT: Connection timed out) here; this "
                         "may be transient: "
                         "retry");
}
