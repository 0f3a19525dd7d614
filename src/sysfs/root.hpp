// The filesystem root every sysfs path is built from: MDEV_MIGCHECK_ROOT
// (default "/"), which holds sys/ (and etc/ for the configuration) - the
// same convention as mdevctl's MDEVCTL_ENV_ROOT, so both tools can look at
// one simulated tree.
//
// Every lookup stays beneath the root: symlinks are followed only while they
// stay inside it (openat2 RESOLVE_BENEATH, and a lexical walk with the same
// rule where a canonical path is needed).  A path or link that would leave
// the root is an error (EXDEV).
#pragma once

#include "util/error.hpp"
#include "util/unique_fd.hpp"

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mdevmc {

inline constexpr const char* kRootEnv = "MDEV_MIGCHECK_ROOT";

class Root {
public:
    // Opens PATH (absolute) as the root.
    static Result<Root> open(const std::string& path);
    // MDEV_MIGCHECK_ROOT if set and non-empty, else "/".
    static Result<Root> fromEnvironment();

    const std::string& path() const { return path_; }
    int fd() const { return fd_.get(); }

    // REL as a path a person can read: "/sys/bus/mdev/devices/UUID" under
    // root "/", "ROOT/sys/..." otherwise.
    std::string display(std::string_view rel) const;

    // Opens REL (relative to the root) with FLAGS (O_CLOEXEC is added),
    // resolving symlinks only beneath the root.
    Result<UniqueFd> open(std::string_view rel, int flags) const;

    // Opens the attribute file REL with FLAGS: like open(), but the last
    // component must be a regular file and is never a symlink (ELOOP), so a
    // write cannot be redirected to another file.
    Result<UniqueFd> openAttribute(std::string_view rel, int flags) const;

    // The canonical form of REL: every symlink followed, "." and ".."
    // folded, relative to the root, no leading slash.  Fails with ENOENT if
    // a component is missing, EXDEV if the path or a link leaves the root,
    // ELOOP after 40 links.
    Result<std::string> resolve(std::string_view rel) const;

    // Where FD, opened from REL beneath the root, is: as resolve(REL), from
    // the kernel's name of FD when it can tell.
    Result<std::string> pathOf(int fd, std::string_view rel) const;

    // A directory opened beneath the root, with its canonical name.
    struct NamedDir {
        UniqueFd fd;
        std::string path; // as resolve() names it
    };
    // Opens directory REL (O_PATH) and names it as pathOf() would, without
    // asking the kernel for the name (/proc): REL's parent is opened with
    // no symlink followed (RESOLVE_NO_SYMLINKS), REL's last component is
    // read as a link there, and its target, folded onto the parent's name,
    // is opened with no symlink followed, which proves that name
    // canonical.  nullopt when a step does not hold (no openat2, a symlink
    // elsewhere on the way, REL missing): open() and pathOf() then tell.
    std::optional<NamedDir> openNamed(std::string_view rel) const;

    // While KEEP, openNamed() keeps the directories it proved free of
    // symlinks open (at most 320 in all) and looks beneath them again
    // instead of from the root: a check of many mdevs proves the bus
    // directory and each parent device once.  For a process that lives as
    // long as one check (the hook's): a kept directory renamed meanwhile
    // would still be named by its old path (sysfs renames no bus or mdev
    // parent directory).  keepDirectories(false) closes them.
    void keepDirectories(bool keep);

    // While keepDirectories: keeps FD, directory REL by its canonical name
    // (a device a lookup found), for kept().  Otherwise, or with 320 kept
    // already, FD is closed.
    void keep(const std::string& rel, UniqueFd fd) const;
    // The directory kept under REL, -1 if none.  A kept directory removed
    // since stays a removed directory: nothing is found in it (ENOENT),
    // even if another has been made under its name.
    int kept(std::string_view rel) const;

    // The target of the symlink REL (its last component is not followed).
    Result<std::string> readLink(std::string_view rel) const;

    // The names in directory REL, sorted, without "." and "..".
    Result<std::vector<std::string>> list(std::string_view rel) const;

    // True if REL resolves beneath the root.
    bool exists(std::string_view rel) const;

private:
    Root(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

    // resolve() in three system calls: openat2 beneath the root, then the
    // kernel's name of what it opened.  nullopt when that cannot tell
    // (any failure: the walk then says why).
    std::optional<std::string> resolveFast(std::string_view rel) const;

    // Directory REL opened with no symlink on its path: a kept one, else
    // opened into OWNED (and kept, while keepDirectories).  -1 on failure.
    int plainDir(std::string_view rel, UniqueFd& owned) const;

    // Looked up by any string view, without building a key.
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::string path_;
    UniqueFd fd_;
    mutable std::optional<std::string> canonical_; // the root as the kernel names it
    bool keep_dirs_ = false;
    mutable std::unordered_map<std::string, UniqueFd, KeyHash, std::equal_to<>>
        kept_; // keepDirectories
};

// The names in the open directory FD, sorted, without "." and ".."
// (SHOWN: the directory in messages).
Result<std::vector<std::string>> listDirectory(UniqueFd fd, const std::string& shown);

// Joins path components with '/'.
std::string joinPath(std::string_view a, std::string_view b);
// joinPath over PARTS, left to right, in one allocation.
std::string joinPaths(std::initializer_list<std::string_view> parts);

} // namespace mdevmc
