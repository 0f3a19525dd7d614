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

constexpr std::array<Verb, 21> kVerbs{{
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
    {"fail-lookup", Command::Op::FailLookup, 2},
    {"delay-lookup", Command::Op::DelayLookup, 2},
    {"hang-lookup", Command::Op::HangLookup, 1},
    {"fail-readlink", Command::Op::FailReadlink, 2},
    {"delay-readlink", Command::Op::DelayReadlink, 2},
    {"hang-readlink", Command::Op::HangReadlink, 1},
    {"stall", Command::Op::Stall, 2},
    {"set-attr", Command::Op::SetAttr, -1},
}};

// set-attr's VALUE: the rest of the line after one blank, with \n, \t and
// \\ decoded; a newline is added unless VALUE is empty or ends with one.
std::string attrValue(const std::string& verb, std::string_view raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
            out += raw[i];
            continue;
        }
        if (i + 1 == raw.size()) {
            throw SimError(verb + ": a '\\' ends the value");
        }
        const char c = raw[++i];
        if (c == 'n') {
            out += '\n';
        } else if (c == 't') {
            out += '\t';
        } else if (c == '\\') {
            out += '\\';
        } else {
            throw SimError(verb + ": unknown escape '\\" + std::string(1, c) + "'");
        }
    }
    if (!out.empty() && out.back() != '\n') {
        out += '\n';
    }
    return out;
}

int number(const std::string& verb, const std::string& s, int max) {
    int v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max) {
        throw SimError(verb + ": '" + s + "' is not a number from 0 to " + std::to_string(max));
    }
    return v;
}

} // namespace

std::optional<Access> accessOf(Command::Op op) {
    using Op = Command::Op;
    switch (op) {
    case Op::FailRead:
    case Op::DelayRead:
    case Op::HangRead:
        return Access::Read;
    case Op::FailWrite:
    case Op::DelayWrite:
    case Op::HangWrite:
        return Access::Write;
    case Op::FailLookup:
    case Op::DelayLookup:
    case Op::HangLookup:
        return Access::Lookup;
    case Op::FailReadlink:
    case Op::DelayReadlink:
    case Op::HangReadlink:
        return Access::Readlink;
    default:
        return std::nullopt;
    }
}

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
    if (verb->op == Command::Op::SetAttr) {
        // set-attr PATH [VALUE...]: VALUE keeps its inner blanks.
        if (words.size() < 2) {
            throw SimError(words[0] + ": expected PATH [VALUE]");
        }
        std::string_view rest = line.substr(line.find(words[0]) + words[0].size());
        rest = rest.substr(rest.find(words[1]) + words[1].size());
        if (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) {
            rest.remove_prefix(1);
        }
        while (!rest.empty() && rest.back() == '\r') {
            rest.remove_suffix(1);
        }
        Command c;
        c.op = verb->op;
        c.path = words[1];
        c.arg1 = attrValue(words[0], rest);
        return c;
    }
    if (static_cast<int>(words.size()) - 1 != verb->args) {
        throw SimError(words[0] + ": expected " + std::to_string(verb->args) + " argument(s)");
    }
    Command c;
    c.op = verb->op;
    c.path = words[1];
    switch (c.op) {
    case Command::Op::FailRead:
    case Command::Op::FailWrite:
    case Command::Op::FailLookup:
    case Command::Op::FailReadlink: {
        const auto e = errnoFromName(words[2]);
        if (!e) {
            throw SimError(words[0] + ": '" + words[2] + "' is not an errno name");
        }
        c.number = *e;
        break;
    }
    case Command::Op::DelayRead:
    case Command::Op::DelayWrite:
    case Command::Op::DelayLookup:
    case Command::Op::DelayReadlink:
    case Command::Op::Stall:
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
