// mdev-migcheck: the operator's command line.
#include "cli/cli.hpp"
#include "util/error.hpp"

#include <iostream>

int main(int argc, char** argv) {
    mdevmc::cli::CliContext ctx{std::cin, std::cout, std::cerr};
    try {
        return mdevmc::cli::runCli(ctx, std::vector<std::string>(argv + 1, argv + argc),
                                   mdevmc::cli::commandTable());
    } catch (const mdevmc::Fatal& e) {
        std::cout.flush();
        std::cerr << e.what() << '\n';
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "mdev-migcheck: " << e.what() << '\n';
        return 2;
    }
}
