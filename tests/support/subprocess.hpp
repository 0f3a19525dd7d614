// Runs a program the way libvirt runs a hook: argv, an explicit
// environment, data on stdin, stdout and stderr captured through pipes
// (the simulator's runner, which reports when the program exited and when
// its pipes reached EOF: a child left holding them would keep the caller
// waiting), and the environment libvirt gives hooks.
#pragma once

#include "../../tools/mdev-simfs/tests/support/subprocess.hpp"

#include <string>
#include <vector>

namespace mdevmc::test {

using mdevsim::test::runProgram;
using mdevsim::test::RunResult;

// LC_ALL, PATH, HOME, USER, LOGNAME: what libvirt passes to hooks.
inline std::vector<std::string> libvirtEnvironment(std::vector<std::string> extra = {}) {
    std::vector<std::string> env{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
                                 "USER=root", "LOGNAME=root"};
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

} // namespace mdevmc::test
