/* bench-limit: the least a check of N mdevs can cost on the tree bench/run.sh
 * builds, the mark the hook's per-device cost is measured against.  It makes
 * only the system calls the check itself needs, in one process, with no XML
 * library and no worker:
 *   - read the domain XML from stdin (as any hook must);
 *   - for each device, beneath the root (MDEV_MIGCHECK_ROOT):
 *       readlinkat  sys/bus/mdev/devices/UUID/mdev_type   (its type)
 *       openat2     sys/bus/mdev/devices/UUID/mdev_type/migration_version
 *                   (RESOLVE_BENEATH; the attribute itself no symlink)
 *       read        this host's version
 *       pwrite      the source's version (compatible if it is accepted)
 *       close
 *
 *   bench-limit SOURCE_VERSION UUID...
 *
 * Exits 0 if every write was accepted, 1 if one was refused, 2 on misuse. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int openBeneath(int dirfd, const char* path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static int checkDevice(int root, const char* uuid, const char* version, size_t version_len) {
    char path[256];
    char buf[4096];
    if (snprintf(path, sizeof path, "sys/bus/mdev/devices/%s/mdev_type", uuid) >= (int)sizeof path)
        return -1;
    const ssize_t n = readlinkat(root, path, buf, sizeof buf - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char* type = strrchr(buf, '/');
    type = type != NULL ? type + 1 : buf;
    if (*type == '\0')
        return -1;
    if (snprintf(path, sizeof path, "sys/bus/mdev/devices/%s/mdev_type/migration_version", uuid) >=
        (int)sizeof path)
        return -1;
    const int fd = openBeneath(root, path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const ssize_t mine = read(fd, buf, sizeof buf);
    const ssize_t written = pwrite(fd, version, version_len, 0);
    close(fd);
    return mine > 0 && written == (ssize_t)version_len ? 0 : -1;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench-limit SOURCE_VERSION UUID...\n");
        return 2;
    }
    static char xml[1 << 20];
    while (read(0, xml, sizeof xml) > 0)
        ;
    const char* root_path = getenv("MDEV_MIGCHECK_ROOT");
    const int root = open(root_path != NULL ? root_path : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return 1;
    const size_t version_len = strlen(argv[1]);
    for (int i = 2; i < argc; ++i) {
        if (checkDevice(root, argv[i], argv[1], version_len) != 0) {
            fprintf(stderr, "bench-limit: %s: refused\n", argv[i]);
            return 1;
        }
    }
    return 0;
}
