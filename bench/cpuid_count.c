/* bench-cpuid: how many cpuid instructions a program executes, and what
 * one costs here.
 *
 *   bench-cpuid --cost          the mean time of one cpuid, in microseconds
 *   bench-cpuid PROGRAM ARG...  runs PROGRAM (its stdin and stderr this
 *                               process's, its stdout /dev/null) one
 *                               instruction at a time and prints how many
 *                               were cpuid; its own process only, not the
 *                               children it starts
 *
 * A hypervisor traps cpuid, so on a virtual machine every one a process
 * executes at its start (the C library's CPU feature and cache detection,
 * any constructor that asks for CPU features) is a round trip to the host.
 * The count does not depend on the machine's load, as a time does.  Exits 2
 * with the reason when the program cannot be traced, 1 when it does not
 * exit 0. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double nowUs(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cost(void) {
    enum { kRounds = 1000 };
    unsigned a = 0, b = 0, c = 0, d = 0;
    const double start = nowUs();
    for (unsigned i = 0; i < kRounds; ++i) {
        __cpuid_count(4, i & 3U, a, b, c, d);
    }
    const double end = nowUs();
    (void)a, (void)b, (void)c, (void)d;
    printf("%.2f\n", (end - start) / kRounds);
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 2 && strcmp(argv[1], "--cost") == 0) {
        return cost();
    }
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench-cpuid --cost | bench-cpuid PROGRAM [ARG...]\n");
        return 2;
    }
    const pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "bench-cpuid: fork: %s\n", strerror(errno));
        return 2;
    }
    if (child == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
            fprintf(stderr, "bench-cpuid: cannot be traced: %s\n", strerror(errno));
            _exit(126);
        }
        const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDOUT_FILENO) < 0) {
            fprintf(stderr, "bench-cpuid: cannot open /dev/null: %s\n", strerror(errno));
            _exit(126);
        }
        execv(argv[1], argv + 1);
        fprintf(stderr, "bench-cpuid: cannot run '%s': %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    int status = 0;
    /* Stopped at its execve; an exit here is the child's failure above. */
    if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) {
        return 2;
    }
    (void)ptrace(PTRACE_SETOPTIONS, child, NULL, (void*)PTRACE_O_EXITKILL);
    long cpuids = 0;
    int pending = 0;
    for (;;) {
        if (ptrace(PTRACE_SINGLESTEP, child, NULL, (void*)(long)pending) != 0) {
            fprintf(stderr, "bench-cpuid: cannot step '%s': %s\n", argv[1], strerror(errno));
            kill(child, SIGKILL);
            return 2;
        }
        if (waitpid(child, &status, 0) != child) {
            return 2;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            break;
        }
        pending = 0;
        if (WSTOPSIG(status) != SIGTRAP) {
            pending = WSTOPSIG(status); /* handed on at the next step */
            continue;
        }
        struct user_regs_struct regs;
        if (ptrace(PTRACE_GETREGS, child, NULL, &regs) != 0) {
            continue;
        }
        errno = 0;
        const long word = ptrace(PTRACE_PEEKTEXT, child, (void*)regs.rip, NULL);
        if (errno == 0 && (word & 0xffff) == 0xa20f) { /* 0f a2: cpuid */
            ++cpuids;
        }
    }
    printf("%ld\n", cpuids);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
