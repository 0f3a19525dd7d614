#include "faults.hpp"

#include "names.hpp"

#include <array>
#include <charconv>
#include <vector>

namespace mdevsim {

namespace {

struct Verb {
    const char* name;
    Command::Op op;
    int args;
};

constexpr std::array<Verb, 13> kVerbs{{
    {"fail-read", Command::Op::FailRead, 2},
    {"fail-write", Command::Op::FailWrite, 2},
    {"delay-read", Command::Op::DelayRead, 2},
    {"delay-write", Command::Op::DelayWrite, 2},
    {"hang-read", Command::Op::HangRead, 1},
    {"hang-write", Command::Op::HangWrite, 1},
    {"short-write", Command::Op::ShortWrite, 2},
    {"release", Command::Op::Release, 1},
    {"clear", Command::Op::Clear, 1},
    {"vanish", Command::Op::Vanish, 1},
    {"set-software-version", Command::Op::SetSoftwareVersion, 2},
    {"set-available", Command::Op::SetAvailable, 3},
    {"set-migration", Command::Op::SetMigration, 3},
}};

int number(const std::string& verb, const std::string& s, int max) {
    int v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max) {
        throw SimError(verb + ": '" + s + "' is not a number from 0 to " + std::to_string(max));
    }
    return v;
}

} // namespace

Command parseCommand(std::string_view line) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
            ++i;
        }
        const std::size_t j = line.find_first_of(" \t\r", i);
        const std::size_t end = j == std::string_view::npos ? line.size() : j;
        if (end > i) {
            words.emplace_back(line.substr(i, end - i));
        }
        i = end;
    }
    if (words.empty()) {
        throw SimError("empty command");
    }
    const Verb* verb = nullptr;
    for (const auto& v : kVerbs) {
        if (words[0] == v.name) {
            verb = &v;
        }
    }
    if (verb == nullptr) {
        throw SimError("unknown command '" + words[0] + "'");
    }
    if (static_cast<int>(words.size()) - 1 != verb->args) {
        throw SimError(words[0] + ": expected " + std::to_string(verb->args) + " argument(s)");
    }
    Command c;
    c.op = verb->op;
    c.path = words[1];
    switch (c.op) {
    case Command::Op::FailRead:
    case Command::Op::FailWrite: {
        const auto e = errnoFromName(words[2]);
        if (!e) {
            throw SimError(words[0] + ": '" + words[2] + "' is not an errno name");
        }
        c.number = *e;
        break;
    }
    case Command::Op::DelayRead:
    case Command::Op::DelayWrite:
        c.number = number(words[0], words[2], 600000);
        break;
    case Command::Op::ShortWrite:
        c.number = number(words[0], words[2], 1 << 20);
        break;
    case Command::Op::SetSoftwareVersion:
        c.arg1 = words[2];
        break;
    case Command::Op::SetAvailable:
        c.arg1 = words[2];
        c.number = number(words[0], words[3], 100000);
        break;
    case Command::Op::SetMigration:
        c.arg1 = words[2];
        if (words[3] == "supported") {
            c.migration = {Migration::Kind::Supported, 0};
        } else if (words[3] == "absent") {
            c.migration = {Migration::Kind::Absent, 0};
        } else if (auto e = errnoFromName(words[3])) {
            c.migration = {Migration::Kind::Errno, *e};
        } else {
            throw SimError(words[0] + ": '" + words[3] +
                           "' is not supported, absent or an errno name");
        }
        break;
    default:
        break;
    }
    return c;
}

} // namespace mdevsim
