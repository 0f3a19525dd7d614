// The preflight's transport: commands (ssh to each target) run as child
// processes side by side, each with its input on its standard input, its
// output bounded and a deadline of its own at which it is killed with its
// whole process group.  One poll(2) loop over the children's pipes: no
// thread, and no wait that is not bounded.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace mdevmc::cli {

struct ChildJob {
    std::vector<std::string> argv; // argv[0] is looked up in PATH
    std::string input;             // written to its standard input, then closed
    std::string group;             // jobs of one group (a target host) share its limit
};

struct ChildOutcome {
    enum class Status {
        Exited,      // exit_code holds its status
        Signaled,    // killed by signal `signal` (not by us)
        TimedOut,    // killed at its deadline
        TooLarge,    // killed: it wrote more than the output bound
        SpawnFailed, // could not be started: err
    };
    Status status = Status::SpawnFailed;
    int exit_code = -1;
    int signal = 0;
    int err = 0;
    std::string out;      // its standard output (at most the bound)
    std::string err_text; // its standard error (at most the bound; more is dropped)
};

struct ChildLimits {
    std::chrono::milliseconds timeout{30000}; // each job's, from its start
    std::size_t max_out = 4U << 20;           // standard output, bytes
    std::size_t max_err = 16U << 10;          // standard error, bytes kept
    std::size_t parallel = 32;                // jobs running at once
    std::size_t per_group = 4;                // of which at most this many per group
};

// Runs JOBS, at most LIMITS.parallel at a time (and per_group per group),
// in order; returns their outcomes in the order of JOBS.  The caller's
// environment is passed on; the children get SIGPIPE's default action and a
// process group of their own.
std::vector<ChildOutcome> runChildren(const std::vector<ChildJob>& jobs, const ChildLimits& limits);

// "exited with status 3", "timed out after 30 s", "killed by signal 9", ...
std::string describeOutcome(const ChildOutcome& o, const ChildLimits& limits);

} // namespace mdevmc::cli
