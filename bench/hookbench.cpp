// hookbench: runs commands the way libvirt runs a hook (fork, execve with
// libvirt's environment, a file on stdin, stdout and stderr to /dev/null)
// and reports the median wall time of each.  Cases are interleaved run by
// run, each round in another order, so that drift on the machine and what
// one run leaves to the next affect them alike.
//
//   hookbench RUNS NAME INPUT ENV -- ARGV... [:: NAME INPUT ENV -- ARGV...]...
//
// ENV is one extra VAR=value (or "-").  Prints "NAME median_us exit_code".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <numeric>
#include <random>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Case {
    std::string name;
    std::string input;
    std::string env;
    std::vector<std::string> argv;
    std::vector<double> us;
    int last_exit = -1;
};

int runOnce(Case& c) {
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open(c.input.c_str(), O_RDONLY);
        const int null = ::open("/dev/null", O_WRONLY);
        if (in < 0 || null < 0) {
            ::_exit(126);
        }
        ::dup2(in, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        std::vector<std::string> envs{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                      "HOME=/root", "USER=root", "LOGNAME=root"};
        if (c.env != "-") {
            envs.push_back(c.env);
        }
        std::vector<char*> a, e;
        for (auto& s : c.argv) {
            a.push_back(s.data());
        }
        a.push_back(nullptr);
        for (auto& s : envs) {
            e.push_back(s.data());
        }
        e.push_back(nullptr);
        ::execve(a[0], a.data(), e.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    const auto t1 = std::chrono::steady_clock::now();
    c.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: hookbench RUNS NAME INPUT ENV -- ARGV... [:: ...]\n");
        return 2;
    }
    const int runs = std::atoi(argv[1]);
    std::vector<Case> cases;
    for (int i = 2; i < argc;) {
        if (i + 4 >= argc || std::strcmp(argv[i + 3], "--") != 0) {
            std::fprintf(stderr, "hookbench: malformed case at '%s'\n", argv[i]);
            return 2;
        }
        Case c{argv[i], argv[i + 1], argv[i + 2], {}, {}, -1};
        i += 4;
        while (i < argc && std::strcmp(argv[i], "::") != 0) {
            c.argv.emplace_back(argv[i++]);
        }
        ++i;
        cases.push_back(std::move(c));
    }
    for (auto& c : cases) { // warm the page cache
        for (int w = 0; w < 5; ++w) {
            c.last_exit = runOnce(c);
        }
        c.us.clear();
    }
    // Each round in an order of its own (a fixed seed: runs repeat): a
    // case pays for what the run before it left behind (its exit's deferred
    // work, the caches it filled), and no case always follows the same one.
    std::vector<std::size_t> order(cases.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::mt19937 shuffle_with(20261203U);
    for (int r = 0; r < runs; ++r) {
        std::shuffle(order.begin(), order.end(), shuffle_with);
        for (const std::size_t k : order) {
            cases[k].last_exit = runOnce(cases[k]);
        }
    }
    for (auto& c : cases) {
        std::sort(c.us.begin(), c.us.end());
        std::printf("%s %.1f %d\n", c.name.c_str(), c.us[c.us.size() / 2], c.last_exit);
    }
    return 0;
}
