// Owners for what C APIs hand out: memory to free(), and any other handle
// with its release function (a DIR* and closedir(), a libvirt object and
// its *Free()), so that every exit path releases it.
#pragma once

#include <cstdlib>
#include <memory>

namespace mdevmc {

// Calls F on the pointer (never on nullptr: std::unique_ptr checks).
template <auto F>
struct CDeleter {
    template <typename T>
    void operator()(T* p) const {
        F(p);
    }
};

// Owns a T* released with the function RELEASE, e.g.
// UniqueCPtr<DIR, ::closedir> or UniqueCPtr<virDomain, virDomainFree>.
template <typename T, auto Release>
using UniqueCPtr = std::unique_ptr<T, CDeleter<Release>>;

// Owns memory a C API allocated with malloc() and leaves to the caller.
template <typename T>
using UniqueFreePtr = UniqueCPtr<T, ::free>;

} // namespace mdevmc
