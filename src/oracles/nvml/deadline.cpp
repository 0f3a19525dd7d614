#include "deadline.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/time.h>
#include <unistd.h>

namespace mdevmc::oracle::nvml {

namespace {

char gTimeoutLine[96];
std::size_t gTimeoutLength = 0;
// Who answers: the main thread (kWriting, then kWritten) or the timer
// (kTimedOut); the first to leave kComputing.  The timer's signal may reach
// any thread, so this is a lock-free atomic rather than a signal mask.
enum State : int { kComputing, kWriting, kWritten, kTimedOut };
std::atomic<int> gState{kComputing};
std::atomic<bool> gFiredWhileWriting{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

void writeAll(const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(STDOUT_FILENO, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// Async-signal-safe: write(2) and _exit(2) only.
void onAlarm(int) {
    int expected = kComputing;
    if (gState.compare_exchange_strong(expected, kTimedOut)) {
        writeAll(gTimeoutLine, gTimeoutLength);
        ::_exit(0);
    }
    if (expected == kWritten) {
        ::_exit(0);
    }
    // kWriting: the main thread finishes its line, sees this and exits.
    gFiredWhileWriting.store(true);
}

} // namespace

unsigned parseDeadline(const char* value) {
    if (value == nullptr || *value == '\0' || std::strlen(value) > 7) {
        return kDefaultDeadlineMs;
    }
    unsigned long ms = 0;
    for (const char* p = value; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') {
            return kDefaultDeadlineMs;
        }
        ms = ms * 10 + static_cast<unsigned long>(*p - '0');
    }
    if (ms == 0 || ms > kMaxDeadlineMs) {
        return kDefaultDeadlineMs;
    }
    return static_cast<unsigned>(ms);
}

unsigned timerBudget(unsigned deadlineMs) {
    if (deadlineMs < 200) {
        return deadlineMs / 2 > 0 ? deadlineMs / 2 : 1;
    }
    return deadlineMs - 100;
}

void armDeadline(unsigned ms) {
    const std::string line = "unknown NVML did not answer within " + std::to_string(ms) + " ms\n";
    gTimeoutLength = std::min(line.size(), sizeof(gTimeoutLine));
    std::memcpy(gTimeoutLine, line.data(), gTimeoutLength);

    struct sigaction sa {};
    sa.sa_handler = onAlarm;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGALRM, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);

    itimerval timer{};
    timer.it_value.tv_sec = static_cast<time_t>(ms / 1000);
    timer.it_value.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
    ::setitimer(ITIMER_REAL, &timer, nullptr);
}

void writeAnswer(const std::string& line) {
    const std::string out = line + "\n";
    int expected = kComputing;
    if (!gState.compare_exchange_strong(expected, kWriting)) {
        for (;;) {
            ::pause(); // the timer has answered and is exiting
        }
    }
    writeAll(out.data(), out.size());
    gState.store(kWritten);
    if (gFiredWhileWriting.load()) {
        ::_exit(0);
    }
}

} // namespace mdevmc::oracle::nvml
