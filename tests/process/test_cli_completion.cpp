// The bash completion (packaging/bash-completion/mdev-migcheck) run by bash
// as readline would run it, with a fake virsh first on PATH that logs its
// arguments: domain names come from the connection on the line, and a
// virsh that does not answer is abandoned.
#include "fake_sysfs.hpp"
#include "subprocess.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace mdevmc::test;

namespace {

// bash-completion's _init_completion, reduced to what the script uses.
constexpr const char* kDriver = R"(
_init_completion() {
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
}
_filedir() { :; }
_known_hosts_real() { COMPREPLY=(hostb hostc); }
. "$COMPLETION"
read -ra COMP_WORDS <<<"$LINE"
[ "${LINE: -1}" = " " ] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$LINE
_mdev_migcheck
printf '%s\n' "${COMPREPLY[@]}"
)";

class Completion : public ::testing::Test {
protected:
    void SetUp() override { fakeVirsh("printf 'vm-a\\nvm-b\\nother\\n'"); }

    // A virsh that logs its arguments, then runs BODY.
    void fakeVirsh(const std::string& body) {
        const auto virsh = dir.path() / "virsh";
        writeFile(virsh, "#!/bin/sh\necho \"$*\" >>'" + log().string() + "'\n" + body + "\n");
        ::chmod(virsh.c_str(), 0755);
    }
    std::filesystem::path log() const { return dir.path() / "virsh.log"; }
    std::string virshCalls() const {
        return std::filesystem::exists(log()) ? readFile(log()) : std::string();
    }

    // The words offered for the command line LINE (the last word is the one
    // completed; a trailing blank starts a new one).
    std::string complete(const std::string& line, std::vector<std::string> env = {}) {
        env.push_back("PATH=" + dir.path().string() + ":/usr/bin:/bin");
        env.push_back("COMPLETION=" MDEVMC_COMPLETION);
        env.push_back("LINE=" + line);
        const RunResult r = runProgram({"/bin/bash", "-c", kDriver}, env, "");
        EXPECT_TRUE(r.finished);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.err, "");
        return r.out;
    }

    TempDir dir;
};

} // namespace

TEST_F(Completion, DomainNamesOfTheDefaultConnection) {
    EXPECT_EQ(complete("mdev-migcheck check vm"), "vm-a\nvm-b\n");
    EXPECT_EQ(virshCalls(), "-q -c qemu:///system list --name\n");
}

TEST_F(Completion, DomainNamesOfTheConnectionOnTheLine) {
    EXPECT_EQ(complete("mdev-migcheck annotate -c qemu+ssh://src/system o"), "other\n");
    EXPECT_EQ(complete("mdev-migcheck check -cqemu+ssh://b/system o"), "other\n");
    EXPECT_EQ(complete("mdev-migcheck check --connect=test:///default o"), "other\n");
    EXPECT_EQ(virshCalls(), "-q -c qemu+ssh://src/system list --name\n"
                            "-q -c qemu+ssh://b/system list --name\n"
                            "-q -c test:///default list --name\n");
}

// A managed save image belongs to a domain that is not running: every
// domain is offered.
TEST_F(Completion, ManagedSaveOffersEveryDomain) {
    EXPECT_EQ(complete("mdev-migcheck annotate --managed-save vm"), "vm-a\nvm-b\n");
    EXPECT_EQ(virshCalls(), "-q -c qemu:///system list --name --all\n");
    EXPECT_EQ(complete("mdev-migcheck annotate --ma"), "--managed-save\n");
    EXPECT_EQ(complete("mdev-migcheck annotate --sa"), "--save-image\n");
}

TEST_F(Completion, OptionsDoNotAskLibvirt) {
    EXPECT_EQ(complete("mdev-migcheck check --j"), "--json\n");
    EXPECT_EQ(complete("mdev-migcheck list "), "--json\n--help\n");
    EXPECT_EQ(virshCalls(), "");
}

TEST_F(Completion, PreflightAndDoctor) {
    EXPECT_EQ(complete("mdev-migcheck pre"), "preflight\n");
    EXPECT_EQ(complete("mdev-migcheck do"), "doctor\n");
    EXPECT_EQ(complete("mdev-migcheck preflight --to "), "hostb\nhostc\n");
    EXPECT_EQ(complete("mdev-migcheck preflight --to hostb vm"), "vm-a\nvm-b\n");
    EXPECT_EQ(complete("mdev-migcheck preflight --p"), "--plan\n");
    EXPECT_EQ(complete("mdev-migcheck doctor "), "--connect\n--json\n--help\n");
    EXPECT_EQ(virshCalls(), "-q -c qemu:///system list --name\n");
}

TEST_F(Completion, Gc) {
    EXPECT_EQ(complete("mdev-migcheck g"), "gc\n");
    EXPECT_EQ(complete("mdev-migcheck gc "), "--connect\n--domain\n--grace\n--help\n");
    EXPECT_EQ(complete("mdev-migcheck gc --grace "), "\n"); // a number: nothing offered
    EXPECT_EQ(virshCalls(), "");
}

TEST_F(Completion, CommandsAndTheToolsVersion) {
    EXPECT_EQ(complete("mdev-migcheck mi"), "migration-version\n");
    EXPECT_EQ(complete("mdev-migcheck -"), "--help\n--version\n-V\n");
}

// A virsh that never answers is given up (the completion's timeout, set
// short here): the options are still offered.
TEST_F(Completion, AHungVirshIsAbandoned) {
    fakeVirsh("exec sleep 600");
    EXPECT_EQ(complete("mdev-migcheck check ", {"MDEV_MIGCHECK_COMPLETION_TIMEOUT=1"}),
              "--connect\n--xml\n--json\n--help\n");
    EXPECT_EQ(virshCalls(), "-q -c qemu:///system list --name\n");
}
