// mdev-simfs: mounts a simulated mdev sysfs tree.  See ../README.md.
#define FUSE_USE_VERSION 312
#include "simulator.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <iostream>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using mdevsim::NodeKind;
using mdevsim::Simulator;

constexpr const char* kUsage =
    "Usage: mdev-simfs [OPTIONS] TOPOLOGY.json MOUNTPOINT\n"
    "\n"
    "Mounts a simulated kernel mdev sysfs tree (bus/mdev, class/mdev_bus, the parent\n"
    "devices with mdev_supported_types, kernel/iommu_groups) on MOUNTPOINT, the sys/\n"
    "directory of a root.  Returns once the tree is mounted; the simulator keeps\n"
    "running in the background until the mount is unmounted (umount, fusermount3 -u)\n"
    "or it gets SIGTERM.\n"
    "\n"
    "Options:\n"
    "  --write-log FILE   append one JSON line per write: path, data, result\n"
    "  --pidfile FILE     write the simulator's pid to FILE once mounted\n"
    "  --foreground       stay in the foreground\n"
    "  -h, --help         this text\n"
    "\n"
    "Faults are injected at run time by writing commands to MOUNTPOINT/.simfs-control.\n";

Simulator* g_sim = nullptr;

std::string rel(const char* path) {
    return path[0] == '/' ? std::string(path + 1) : std::string(path);
}

bool interrupted() {
    return fuse_interrupted() != 0 ||
           fuse_session_exited(fuse_get_session(fuse_get_context()->fuse));
}

void* opInit(fuse_conn_info*, fuse_config* cfg) {
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    return nullptr;
}

int opGetattr(const char* path, struct stat* st, fuse_file_info*) {
    Simulator::Stat s;
    if (const int e = g_sim->stat(rel(path), s, interrupted)) {
        return -e;
    }
    std::memset(st, 0, sizeof *st);
    st->st_mode = static_cast<mode_t>(s.mode) | (s.kind == NodeKind::Dir    ? S_IFDIR
                                                 : s.kind == NodeKind::Link ? S_IFLNK
                                                                            : S_IFREG);
    st->st_nlink = s.kind == NodeKind::Dir ? 2 : 1;
    st->st_size = static_cast<off_t>(s.size);
    return 0;
}

int opReadlink(const char* path, char* buf, size_t size) {
    std::string target;
    if (const int e = g_sim->readLink(rel(path), target, interrupted)) {
        return -e;
    }
    if (size == 0) {
        return -EINVAL;
    }
    const size_t n = std::min(size - 1, target.size());
    std::memcpy(buf, target.data(), n);
    buf[n] = '\0';
    return 0;
}

int opReaddir(const char* path, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info*,
              fuse_readdir_flags) {
    std::vector<std::string> names;
    if (const int e = g_sim->list(rel(path), names)) {
        return -e;
    }
    filler(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    filler(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    for (const auto& n : names) {
        filler(buf, n.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    }
    return 0;
}

// Like sysfs, content is produced once per open file, at its first read.
struct OpenFile {
    bool have = false;
    std::string content;
};

int opOpen(const char* path, fuse_file_info* fi) {
    if (const int e = g_sim->open(rel(path), fi->flags)) {
        return -e;
    }
    fi->direct_io = 1;
    fi->fh = reinterpret_cast<uint64_t>(new OpenFile);
    return 0;
}

int opRelease(const char*, fuse_file_info* fi) {
    delete reinterpret_cast<OpenFile*>(fi->fh);
    return 0;
}

int opRead(const char* path, char* buf, size_t size, off_t off, fuse_file_info* fi) {
    auto* of = reinterpret_cast<OpenFile*>(fi->fh);
    if (!of->have || off == 0) {
        const mdevsim::IoResult r = g_sim->read(rel(path), interrupted);
        if (r.err != 0) {
            return -r.err;
        }
        of->content = r.data;
        of->have = true;
    }
    if (static_cast<size_t>(off) >= of->content.size()) {
        return 0;
    }
    const size_t n = std::min(size, of->content.size() - static_cast<size_t>(off));
    std::memcpy(buf, of->content.data() + off, n);
    return static_cast<int>(n);
}

int opWrite(const char* path, const char* buf, size_t size, off_t, fuse_file_info*) {
    const mdevsim::IoResult r = g_sim->write(rel(path), std::string_view(buf, size), interrupted);
    if (r.err != 0) {
        return -r.err;
    }
    return static_cast<int>(r.count);
}

int opTruncate(const char* path, off_t, fuse_file_info*) {
    Simulator::Stat s;
    if (const int e = g_sim->stat(rel(path), s, interrupted)) {
        return -e;
    }
    return s.kind == NodeKind::File ? 0 : -EISDIR;
}

void opDestroy(void*) {
    g_sim->shutdown();
}

} // namespace

int main(int argc, char** argv) {
    std::string write_log, pidfile;
    bool foreground = false;
    std::vector<std::string> pos;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else if ((a == "--write-log" || a == "--pidfile") && i + 1 < argc) {
            (a == "--write-log" ? write_log : pidfile) = argv[++i];
        } else if (a == "--foreground" || a == "-f") {
            foreground = true;
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << "mdev-simfs: unknown option '" << a << "'\n" << kUsage;
            return 2;
        } else {
            pos.push_back(a);
        }
    }
    if (pos.size() != 2) {
        std::cerr << kUsage;
        return 2;
    }
    // Unless in the foreground, the command returns only once the tree is
    // mounted and the pid file written: the child reports on a pipe.
    int ready[2] = {-1, -1};
    if (!foreground) {
        if (::pipe(ready) != 0) {
            std::perror("mdev-simfs: pipe");
            return 1;
        }
        const pid_t child = ::fork();
        if (child < 0) {
            std::perror("mdev-simfs: fork");
            return 1;
        }
        if (child > 0) {
            ::close(ready[1]);
            char status = 1;
            if (::read(ready[0], &status, 1) != 1) {
                status = 1;
            }
            return status;
        }
        ::close(ready[0]);
        ::setsid();
    }
    const auto report = [&](char status) {
        if (ready[1] >= 0) {
            (void)!::write(ready[1], &status, 1);
            ::close(ready[1]);
            ready[1] = -1;
        }
    };
    std::unique_ptr<Simulator> sim;
    try {
        sim = std::make_unique<Simulator>(mdevsim::loadTopology(pos[0]), write_log);
    } catch (const mdevsim::SimError& e) {
        std::cerr << "mdev-simfs: " << e.what() << '\n';
        report(2);
        return 2;
    }
    g_sim = sim.get();

    fuse_operations ops{};
    ops.init = opInit;
    ops.getattr = opGetattr;
    ops.readlink = opReadlink;
    ops.readdir = opReaddir;
    ops.open = opOpen;
    ops.release = opRelease;
    ops.read = opRead;
    ops.write = opWrite;
    ops.truncate = opTruncate;
    ops.destroy = opDestroy;

    std::vector<std::string> fargs{argv[0], "-o", "fsname=mdev-simfs,subtype=mdev-simfs"};
    std::vector<char*> fargv;
    for (auto& s : fargs) {
        fargv.push_back(s.data());
    }
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(fargv.size()), fargv.data());
    fuse* f = fuse_new(&args, &ops, sizeof ops, nullptr);
    if (f == nullptr) {
        std::cerr << "mdev-simfs: cannot set up FUSE\n";
        report(1);
        return 1;
    }
    if (fuse_mount(f, pos[1].c_str()) != 0) {
        std::cerr << "mdev-simfs: cannot mount on '" << pos[1] << "'\n";
        fuse_destroy(f);
        report(1);
        return 1;
    }
    if (!pidfile.empty()) {
        std::ofstream(pidfile) << ::getpid() << '\n';
    }
    if (!foreground) {
        // Hold none of the caller's descriptors: scripts wait for EOF on them.
        const int null = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd <= 2 && null >= 0; ++fd) {
            ::dup2(null, fd);
        }
        if (null > 2) {
            ::close(null);
        }
        (void)!::chdir("/");
        report(0);
    }
    fuse_session* se = fuse_get_session(f);
    if (fuse_set_signal_handlers(se) != 0) {
        fuse_unmount(f);
        fuse_destroy(f);
        return 1;
    }
    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    fuse_loop_cfg_set_idle_threads(cfg, 16);
    const int rc = fuse_loop_mt(f, cfg);
    fuse_loop_cfg_destroy(cfg);
    g_sim->shutdown();
    fuse_remove_signal_handlers(se);
    fuse_unmount(f);
    fuse_destroy(f);
    if (!pidfile.empty()) {
        ::unlink(pidfile.c_str());
    }
    return rc == 0 ? 0 : 1;
}
