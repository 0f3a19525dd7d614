// Fuzz target: the hook's whole decision (hook/engine, runHook) on a
// simulated host.  The host - three parents, four types, three mdevs, PCI
// ids, drivers and module versions, a machine-id - is a plain-file tree
// made once in a temporary directory; its attributes are read and written
// through FuzzAttrIo (fuzz_attr_io.hpp), so nothing on disk changes.
//
// Input: two control bytes, then the domain XML libvirt would pass.
//   byte 0: bits 0-1 the operation (0, 3: migrate begin; 1: restore begin;
//           2: started begin); bit 2 audit mode; bits 3-4 driver_version
//           (identical, same-or-newer, any); bit 5 allow_unrecorded; bits
//           6-7 both set: enabled = no
//   byte 1: bits 0-2 how migration_version writes answer (0-2 accept, 3
//           EINVAL, 4 ENODEV, 5 short write, 6 time out, 7 EIO); bits 3-4
//           how its reads answer (2: EIO, 3: time out, else the content);
//           bits 5-6 both set: the configuration could not be loaded
// Asserted, besides the sanitizers' checks:
//  - the exit code is 0 or 1; 1 comes with a reason and no XML on stdout;
//  - every write is to a migration_version attribute of the tree, with one
//    line of printable ASCII (FuzzAttrIo); started begin writes nothing;
//  - every line on the error stream starts with "mdev-migcheck: " and holds
//    no control byte (no CR, ESC, NUL, ...: one line per refusal);
//  - nothing is printed on stdout: the hook prints XML only when it changed
//    it (libvirt taints such a domain), and this version changes none;
//  - a state file is left only by a migrate begin accepted without output
//    (the note for prepare begin, hook/incoming.hpp), and it parses.
#include "domain/domain_xml.hpp"
#include "fake_sysfs.hpp"
#include "fuzz_attr_io.hpp"
#include "hook/engine.hpp"
#include "hook/incoming.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

using namespace mdevmc;
using mdevmc::fuzz::FuzzAttrIo;
using mdevmc::fuzz::ReadFault;
using mdevmc::fuzz::WriteFault;
using mdevmc::test::FakeSysfs;
using mdevmc::test::TempDir;
using mdevmc::test::writeFile;

namespace {

constexpr const char* kHostName = "hostB";
constexpr std::string_view kPrefix = "mdev-migcheck: ";

// The simulated host, made once.
struct Host {
    TempDir dir;
    std::unique_ptr<Root> root;
    std::unique_ptr<FuzzAttrIo> io;

    Host() {
        FakeSysfs sys(dir.path());
        const std::string gvt = "0000:00:02.0";
        const std::string t4 = "0000:3b:00.0";
        const std::string t4b = "0000:3c:00.0";
        // An Intel GVT-g parent whose types have migration_version; one
        // device reads it from its type, one has its own attribute.
        sys.addType(gvt, "i915-GVTg_V5_4", "8086-193b-i915-GVTg_V5_4-5.3");
        sys.addType(gvt, "i915-GVTg_V5_8", "8086-193b-i915-GVTg_V5_8-5.3", 0);
        sys.addDevice("c2177883-f1bb-47f0-914d-32a22e3a8804", gvt, "i915-GVTg_V5_4");
        sys.addDevice("90c6c135-ad44-41d0-b1b7-bae47de48627", gvt, "i915-GVTg_V5_4",
                      "8086-193b-i915-GVTg_V5_4-5.3");
        pci(sys, gvt, "0x8086", "0x193b", "i915");
        // Two NVIDIA T4 parents without migration_version: the fingerprint
        // decides; the second offers the type for a device missing here.
        sys.addType(t4, "nvidia-231", "");
        sys.addType(t4, "nvidia-63", "");
        sys.addType(t4b, "nvidia-231", "", 2);
        sys.addDevice("0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a", t4, "nvidia-231");
        for (const auto& p : {t4, t4b}) {
            pci(sys, p, "0x10de", "0x1eb8", "nvidia");
            for (const char* type : {"nvidia-231", "nvidia-63"}) {
                if (std::filesystem::exists(sys.typeDir(p, type))) {
                    writeFile(sys.typeDir(p, type) / "name", "GRID T4-2Q\n");
                    writeFile(sys.typeDir(p, type) / "description",
                              "num_heads=4, frl_config=60, framebuffer=2048M\n");
                }
            }
        }
        writeFile(dir.path() / "sys/module/nvidia/version", "550.90.07\n");
        writeFile(dir.path() / "sys/module/nvidia_vgpu_vfio/version", "550.90.07\n");
        writeFile(dir.path() / "sys/module/i915/srcversion", "3D5C5E4B1F0E3C0A9B8C7D6\n");
        writeFile(dir.path() / "etc/machine-id", "4c4c4544004b4d1080523c04f0334d32\n");

        auto r = Root::open(dir.path().string());
        if (!r) {
            std::fprintf(stderr, "fuzz_hook: cannot open the simulated root\n");
            std::abort();
        }
        root = std::make_unique<Root>(std::move(*r));
        io = std::make_unique<FuzzAttrIo>(*root);
    }

    static void pci(FakeSysfs& sys, const std::string& parent, const char* vendor,
                    const char* device, const char* driver) {
        const auto d = sys.parentDir(parent);
        writeFile(d / "vendor", std::string(vendor) + "\n");
        writeFile(d / "device", std::string(device) + "\n");
        writeFile(d / "subsystem_vendor", std::string(vendor) + "\n");
        writeFile(d / "subsystem_device", "0x12a2\n");
        std::filesystem::create_directories(sys.root() / "sys/bus/pci/drivers" / driver);
        std::filesystem::create_directory_symlink(std::string("../../../bus/pci/drivers/") + driver,
                                                  d / "driver");
    }
};

Host* host = nullptr;

[[noreturn]] void failed(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_hook: %s\n--- \n%.*s\n---\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

void checkErrorStream(const std::string& err) {
    if (!err.empty() && err.back() != '\n') {
        failed("the error stream does not end with a newline", err);
    }
    std::size_t pos = 0;
    while (pos < err.size()) {
        const std::size_t nl = err.find('\n', pos);
        const std::string_view line = std::string_view(err).substr(pos, nl - pos);
        pos = nl + 1;
        if (line.substr(0, kPrefix.size()) != kPrefix) {
            failed("a line on the error stream does not start with 'mdev-migcheck: '", line);
        }
        for (char c : line) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7f) {
                failed("a line on the error stream holds a control byte", line);
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    host = new Host(); // lives as long as the process: the tree is made once
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const unsigned ctl = data[0];
    const unsigned faults = data[1];
    const std::string_view xml(reinterpret_cast<const char*>(data) + 2, size - 2);

    static constexpr const char* kOps[] = {"migrate", "restore", "started", "migrate"};
    const std::string op = kOps[ctl & 3U];
    Config config;
    config.mode = (ctl & 4U) != 0 ? Mode::Audit : Mode::Enforce;
    static constexpr DriverVersionRule kRules[] = {
        DriverVersionRule::Identical, DriverVersionRule::SameOrNewer, DriverVersionRule::Any,
        DriverVersionRule::Identical};
    config.driver_version = kRules[(ctl >> 3U) & 3U];
    config.allow_unrecorded = (ctl & 0x20U) != 0;
    config.enabled = (ctl & 0xc0U) != 0xc0U;
    config.syslog = false;
    std::optional<Error> config_error;
    if ((faults & 0x60U) == 0x60U) {
        config_error = Error{"/etc/mdev-migcheck/mdev-migcheck.conf:3: unknown key 'x'", EINVAL};
    }
    static constexpr WriteFault kWrites[] = {
        WriteFault::None,     WriteFault::None,  WriteFault::None,  WriteFault::Rejected,
        WriteFault::NoDevice, WriteFault::Short, WriteFault::Stall, WriteFault::Io};
    static constexpr ReadFault kReads[] = {ReadFault::None, ReadFault::None, ReadFault::Io,
                                           ReadFault::Stall};
    host->io->reset(kWrites[faults & 7U], kReads[(faults >> 3U) & 3U]);

    const SysLog log(false);
    std::string out;
    std::string err;
    int spawned = 0;
    HookContext ctx{*host->root, *host->io, config,  config_error, log, kHostName,
                    out,         err,       nullptr, nullptr,      ""};
    ctx.spawn_recorder = [&spawned](const std::string&, const std::string&) -> Result<void> {
        ++spawned;
        return {};
    };
    const int rc = runHook({"vgpu1", op, "begin", "-"}, xml, ctx);

    if (rc != 0 && rc != 1) {
        failed("exit code neither 0 nor 1", std::to_string(rc));
    }
    checkErrorStream(err);
    if (rc == 1 && (err.empty() || !out.empty())) {
        failed("a refusal without a reason, or with XML on stdout", out + err);
    }
    if (op == "started" && (!host->io->writes().empty() || !out.empty() || rc != 0)) {
        failed("started begin wrote an attribute, printed XML or failed", out);
    }
    if (op != "started" && spawned != 0) {
        failed("the recorder was started for a migration or restore", op);
    }
    // libvirt taints a domain whose XML a hook printed: the hook prints
    // only XML it changed, and this version changes none.
    if (!out.empty()) {
        failed("the hook printed XML it did not change", out);
    }
    for (const auto& [path, text] : host->io->stateFiles()) {
        if (op != "migrate" || rc != 0 || !out.empty()) {
            failed("a state file left by anything but a migrate begin accepted without output",
                   path);
        }
        if (auto note = parseIncomingNote(text); !note) {
            failed("a note that does not parse", note.error().message + ": " + text);
        }
    }
    return 0;
}
