#include "cli/host_env.hpp"

#include "util/errno_name.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <cerrno>
#include <fstream>
#include <iostream>
#include <istream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <unistd.h>

namespace mdevmc::cli {

HostEnv openHost() {
    auto root = Root::fromEnvironment();
    if (!root) {
        throw Fatal(root.error());
    }
    DirectAttrIo io(*root);
    auto config = loadConfig(configPath(*root), io, Deadline::never());
    if (!config) {
        throw Fatal(config.error());
    }
    return HostEnv{std::move(*root), *config};
}

HostEnv openHostLenient(std::ostream& err) {
    auto root = Root::fromEnvironment();
    if (!root) {
        throw Fatal(root.error());
    }
    DirectAttrIo io(*root);
    auto loaded = loadConfigAll(configPath(*root), io, Deadline::never());
    for (const auto& e : loaded.errors) {
        err << escapeLine("mdev-migcheck: warning: " + e.message +
                          " (ignored here; the hook refuses every check until it is fixed)")
            << '\n';
    }
    return HostEnv{std::move(*root), loaded.config};
}

HostEnv LocalHost::open(ConfigErrors ce) {
    if (ce == ConfigErrors::Fatal) {
        return openHost();
    }
    if (ce == ConfigErrors::Quiet) {
        std::ostringstream none;
        return openHostLenient(none);
    }
    return openHostLenient(std::cerr);
}

std::unique_ptr<LibvirtHypervisor> connectOrThrow(const Args& a) {
    auto hv = LibvirtHypervisor::connect(a.value("connect").value_or(kDefaultUri));
    if (!hv) {
        throw Fatal("mdev-migcheck: " + hv.error().message);
    }
    return std::move(*hv);
}

std::string readInput(CliContext& ctx, const std::string& file) {
    std::string data;
    if (file == "-") {
        data.assign(std::istreambuf_iterator<char>(ctx.in), std::istreambuf_iterator<char>());
    } else {
        std::ifstream f(file, std::ios::binary);
        if (!f) {
            const int e = errno;
            throw Fatal("cannot read '" + file + "' (" + errnoPhrase(e) + ")");
        }
        data.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return data;
}

DomainXml readDomainXml(CliContext& ctx, const std::string& file) {
    auto xml = DomainXml::parse(readInput(ctx, file));
    if (!xml) {
        const std::string name = file == "-" ? std::string("standard input") : "'" + file + "'";
        throw Fatal(name + ": " + xml.error().message);
    }
    return std::move(*xml);
}

} // namespace mdevmc::cli
