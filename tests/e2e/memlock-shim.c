/* LD_PRELOAD shim for libvirtd on machines that refuse to raise
 * RLIMIT_MEMLOCK (no CAP_SYS_RESOURCE): libvirt asks for guest RAM + 1 GiB
 * for any VM with a VFIO/mdev hostdev.  When raising the limit fails with
 * EPERM, the request is clamped to the hard limit and reported as done.
 * Everything else passes through.  Used by the e2e harness only when
 * `prlimit --memlock=unlimited` fails. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#define RES_MEMLOCK 8 /* RLIMIT_MEMLOCK */

struct limits {
    unsigned long long cur, max;
};
typedef int (*prlimit_fn)(pid_t, int, const struct limits*, struct limits*);

static int clamped(pid_t pid, int res, const struct limits* want, struct limits* old) {
    static prlimit_fn real;
    if (!real)
        real = (prlimit_fn)dlsym(RTLD_NEXT, "prlimit64");
    int rc = real(pid, res, want, old);
    if (rc < 0 && errno == EPERM && res == RES_MEMLOCK && want) {
        struct limits now, clamp;
        if (real(pid, res, NULL, &now) == 0) {
            clamp.cur = clamp.max = now.max;
            if (real(pid, res, &clamp, old) == 0)
                return 0;
        }
        errno = EPERM;
    }
    return rc;
}

int prlimit(pid_t p, int r, const struct limits* n, struct limits* o) {
    return clamped(p, r, n, o);
}
int prlimit64(pid_t p, int r, const struct limits* n, struct limits* o) {
    return clamped(p, r, n, o);
}
int setrlimit(int r, const struct limits* n) {
    return clamped(0, r, n, NULL);
}
int setrlimit64(int r, const struct limits* n) {
    return clamped(0, r, n, NULL);
}
