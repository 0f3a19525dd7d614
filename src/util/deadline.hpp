// A point in time after which work must stop (monotonic clock).
#pragma once

#include <algorithm>
#include <chrono>

namespace mdevmc {

class Deadline {
public:
    using Clock = std::chrono::steady_clock;

    static Deadline after(std::chrono::milliseconds ms) { return Deadline(Clock::now() + ms); }
    static Deadline at(Clock::time_point t) { return Deadline(t); }
    static Deadline never() { return Deadline(Clock::time_point::max()); }

    bool expired() const { return Clock::now() >= at_; }
    // The point itself (Clock::time_point::max() for never()).
    Clock::time_point when() const { return at_; }
    std::chrono::milliseconds remaining() const {
        if (at_ == Clock::time_point::max()) {
            return std::chrono::milliseconds::max();
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now());
        return std::max(left, std::chrono::milliseconds(0));
    }
    // The earlier of this deadline and now + ms.
    Deadline capped(std::chrono::milliseconds ms) const { return capped(ms, Clock::now()); }
    // The same, with NOW already read off the clock.
    Deadline capped(std::chrono::milliseconds ms, Clock::time_point now) const {
        return Deadline(std::min(at_, now + ms));
    }

private:
    explicit Deadline(Clock::time_point at) : at_(at) {}
    Clock::time_point at_;
};

} // namespace mdevmc
