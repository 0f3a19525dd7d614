// Error values (recoverable, returned) and the one exception type (fatal,
// caught once in each main()).
#pragma once

#include "util/expected.hpp"

#include <stdexcept>
#include <string>

namespace mdevmc {

// A recoverable error: a complete, human-readable message that names the
// object concerned, plus the code that caused it.  A code says where it came
// from by the field that holds it: the two kinds share numbers (errno 55 is
// ENOANO, libvirt's 55 is VIR_ERR_OPERATION_INVALID) and must not be mixed.
struct Error {
    std::string message;
    int err = 0;       // the errno that caused it, 0 if none; never a libvirt code
    int virt_code = 0; // the libvirt error number (virErrorNumber), 0 if none
};

template <typename T>
using Result = Expected<T, Error>;

// An error caused by errno ERR (0: no errno).
inline Unexpected<Error> fail(std::string message, int err = 0) {
    return Unexpected<Error>(Error{std::move(message), err, 0});
}

// An error reported by libvirt with error number VIRT_CODE.
inline Unexpected<Error> failVirt(std::string message, int virt_code) {
    return Unexpected<Error>(Error{std::move(message), 0, virt_code});
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
