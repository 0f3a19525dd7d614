// Error values (recoverable, returned) and the one exception type (fatal,
// caught once in each main()).
#pragma once

#include "util/expected.hpp"

#include <stdexcept>
#include <string>

namespace mdevmc {

// A recoverable error: a complete, human-readable message that names the
// object concerned, plus the errno that caused it (0 if none).
struct Error {
    std::string message;
    int err = 0;
};

template <typename T>
using Result = Expected<T, Error>;

inline Unexpected<Error> fail(std::string message, int err = 0) {
    return Unexpected<Error>(Error{std::move(message), err});
}

// Thrown for errors that end the program (bad usage, unreadable input).
// main() catches it once, prints what() and exits with exit_code().
class Fatal : public std::runtime_error {
public:
    explicit Fatal(const std::string& message, int exit_code = 2)
        : std::runtime_error(message), exit_code_(exit_code) {}
    explicit Fatal(const Error& e, int exit_code = 2)
        : std::runtime_error(e.message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

private:
    int exit_code_;
};

} // namespace mdevmc
