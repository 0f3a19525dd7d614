// The oracle's own deadline: NVML calls can block (a GPU fallen off the bus,
// a wedged driver).  mdev-migcheck kills the oracle when its deadline
// passes; a little before that, a timer makes the oracle answer "unknown"
// itself, so the operator learns what did not answer.
#pragma once

#include <string>

namespace mdevmc::oracle::nvml {

inline constexpr unsigned kDefaultDeadlineMs = 2000;
inline constexpr unsigned kMaxDeadlineMs = 3'600'000;

// MDEV_MIGCHECK_DEADLINE_MS: decimal milliseconds, 1 to kMaxDeadlineMs;
// kDefaultDeadlineMs when unset or invalid.
unsigned parseDeadline(const char* value);
// The share of the deadline the oracle's timer allows: the deadline less a
// margin for answering (100 ms, or half of a deadline under 200 ms).
unsigned timerBudget(unsigned deadlineMs);

// Installs the SIGALRM handler and starts a one-shot timer of `ms`.  When it
// fires before writeAnswer, the process prints
// "unknown NVML did not answer within <ms> ms" and _exits 0; after
// writeAnswer, it only _exits 0.
void armDeadline(unsigned ms);

// Writes `line` and a newline to stdout, atomically with respect to the timer.
void writeAnswer(const std::string& line);

} // namespace mdevmc::oracle::nvml
