// Every command's JSON output, parsed and checked against doc/json.md: the
// tables there are the schema (the fields of every object, the type of
// every value), so the document and the program cannot drift apart.  The
// reason codes of doc/json.md and of mdev-migcheck(8) are checked against
// the program's.
#include "check/decision.hpp"
#include "cli_sample_host.hpp"
#include "sim_mount.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using namespace mdevmc;
using namespace mdevmc::test;
using Json = nlohmann::ordered_json;

namespace {

std::string docText(const std::string& name) {
    return readFile(std::filesystem::path(MDEVMC_DOC_DIR) / name);
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t`");
    const auto e = s.find_last_not_of(" \t`");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The first two cells of each row of the first table after the line
// HEADING in DOC (heading row and separator left out).
std::vector<std::pair<std::string, std::string>> tableAfter(const std::string& doc,
                                                            const std::string& heading) {
    std::istringstream in(doc);
    std::string line;
    bool in_section = false;
    int rows = 0;
    std::vector<std::pair<std::string, std::string>> out;
    while (std::getline(in, line)) {
        if (line.rfind("## ", 0) == 0) {
            if (in_section) {
                break;
            }
            in_section = line == heading;
            continue;
        }
        if (!in_section || line.rfind('|', 0) != 0) {
            if (in_section && rows > 0) {
                break; // the table ended
            }
            continue;
        }
        if (++rows <= 2) {
            continue;
        }
        std::vector<std::string> cells;
        std::istringstream row(line.substr(1));
        for (std::string cell; std::getline(row, cell, '|');) {
            cells.push_back(trim(cell));
        }
        if (cells.size() >= 2) {
            out.emplace_back(cells[0], cells[1]);
        }
    }
    return out;
}

// A command's documented fields: path ("devices[].uuid") to type
// ("string or null").
using Schema = std::map<std::string, std::string>;

Schema schemaOf(const std::string& command) {
    Schema s;
    for (const auto& [field, type] : tableAfter(docText("json.md"), "## " + command + " --json")) {
        s[field] = type;
    }
    return s;
}

std::string parentPath(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? "" : path.substr(0, dot);
}

const char* typeName(const Json& v) {
    if (v.is_null()) {
        return "null";
    }
    if (v.is_string()) {
        return "string";
    }
    if (v.is_boolean()) {
        return "boolean";
    }
    if (v.is_number_integer()) {
        return "integer";
    }
    if (v.is_array()) {
        return "array";
    }
    return v.is_object() ? "object" : "other";
}

// Checks DOC against SCHEMA; adds every path met to SEEN.
class SchemaCheck {
public:
    SchemaCheck(const Schema& schema, std::set<std::string>& seen) : schema_(schema), seen_(seen) {
        for (const auto& [path, type] : schema) {
            children_[parentPath(path)].insert(path);
        }
    }

    void object(const Json& o, const std::string& path) {
        ASSERT_TRUE(o.is_object()) << path << ": " << o.dump();
        std::set<std::string> keys;
        for (const auto& [k, v] : o.items()) {
            const std::string child = path.empty() ? k : path + "." + k;
            keys.insert(child);
            value(v, child);
        }
        EXPECT_EQ(keys, children_[path])
            << "the fields of " << (path.empty() ? "the document" : path)
            << " differ from doc/json.md: " << o.dump();
    }

    void value(const Json& v, const std::string& path) {
        const auto it = schema_.find(path);
        if (it == schema_.end()) {
            ADD_FAILURE() << path << " is not in doc/json.md";
            return;
        }
        seen_.insert(path);
        const std::string& documented = it->second;
        const std::string actual = typeName(v);
        std::set<std::string> allowed{documented};
        if (const std::string nullable = " or null";
            documented.size() > nullable.size() &&
            documented.compare(documented.size() - nullable.size(), nullable.size(), nullable) ==
                0) {
            allowed = {documented.substr(0, documented.size() - nullable.size()), "null"};
        }
        EXPECT_EQ(allowed.count(actual), 1U)
            << path << " is " << actual << ", documented as " << documented;
        if (v.is_array()) {
            array(v, path);
        }
    }

    void array(const Json& a, const std::string& path) {
        for (const auto& e : a) {
            object(e, path + "[]");
        }
    }

private:
    const Schema& schema_;
    std::set<std::string>& seen_;
    std::map<std::string, std::set<std::string>> children_;
};

class CliJsonSchema : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = fuseUnavailable(); !why.empty()) {
            GTEST_SKIP() << why;
        }
        host = std::make_unique<SimHost>(MDEVMC_SIMFS, kTopology);
        writeFile(host->root() / "etc/mdev-migcheck/mdev-migcheck.conf", "syslog = no\n");
    }

    // Runs ARGS with --json, expects EXIT, and checks its document against
    // the schema of COMMAND.
    void check(const std::string& command, std::vector<std::string> args, int exit,
               const std::string& input = "") {
        args.insert(args.begin(), MDEVMC_CLI);
        const RunResult r = runProgram(
            args, libvirtEnvironment({"MDEV_MIGCHECK_ROOT=" + host->root().string()}), input);
        EXPECT_EQ(r.exit_code, exit) << args[1] << ": " << r.err;
        ASSERT_EQ(r.out.find('\n'), r.out.size() - 1) << "not one line: " << r.out;
        const Json doc = Json::parse(r.out);
        const Schema schema = schemaOf(command);
        ASSERT_FALSE(schema.empty()) << "no table for '" << command << " --json' in doc/json.md";
        SchemaCheck c(schema, seen[command]);
        if (schema.begin()->first.rfind("[]", 0) == 0) {
            ASSERT_TRUE(doc.is_array()) << r.out;
            c.array(doc, "");
        } else {
            c.object(doc, "");
        }
    }

    // Every documented field of COMMAND was met in some output.
    void expectAllSeen(const std::string& command) {
        for (const auto& [path, type] : schemaOf(command)) {
            EXPECT_EQ(seen[command].count(path), 1U)
                << command << ": " << path << " never appeared in the outputs checked";
        }
    }

    std::unique_ptr<SimHost> host;
    std::map<std::string, std::set<std::string>> seen;
};

} // namespace

TEST_F(CliJsonSchema, Check) {
    check("check", {"check", "--xml", "-", "--json"}, 1, kDomain);
    check("check", {"check", "--xml", "-", "--json"}, 0, kPlainDomain);
    const std::string uri = "test://" + std::string(MDEVMC_TEST_NODE);
    check("check", {"check", "-c" + uri, "--json", "vgpu-running"}, 1);
    expectAllSeen("check");
}

TEST_F(CliJsonSchema, List) {
    check("list", {"list", "--json"}, 0);
    expectAllSeen("list");
}

TEST_F(CliJsonSchema, MigrationVersion) {
    check("migration-version", {"migration-version", "i915-GVTg_V5_4", "--json"}, 0);
    check("migration-version", {"migration-version", "i915-GVTg_V5_8", "--json"}, 1);
    check("migration-version", {"migration-version", kSampleU1, "--json"}, 0);
    expectAllSeen("migration-version");
}

TEST_F(CliJsonSchema, Probe) {
    check("probe", {"probe", "--type", "i915-GVTg_V5_4", "--json", "8086-193b-i915-GVTg_V5_4-5.1"},
          0);
    check("probe", {"probe", "--type", "i915-GVTg_V5_4", "--uuid", kSampleU1, "--json", "x"}, 1);
    expectAllSeen("probe");
}

TEST_F(CliJsonSchema, Annotate) {
    check("annotate", {"annotate", "--xml", "-", "--json"}, 0, kDomain);
    check("annotate", {"annotate", "--xml", "-", "--json"}, 0, kPlainDomain);
    const std::string uri = "test://" + std::string(MDEVMC_TEST_NODE);
    check("annotate", {"annotate", "--connect=" + uri, "--all", "--json"}, 0);
    expectAllSeen("annotate");
}

// The reason codes of doc/json.md and mdev-migcheck(8) are the program's,
// all of them and no other.
TEST(CliJsonDoc, ReasonCodes) {
    std::set<std::string> program;
    for (int r = static_cast<int>(Reason::Compatible); r <= static_cast<int>(Reason::TooManyMdevs);
         ++r) {
        program.insert(reasonName(static_cast<Reason>(r)));
    }
    ASSERT_EQ(program.size(), static_cast<std::size_t>(Reason::TooManyMdevs) + 1);
    std::set<std::string> documented;
    for (const auto& [code, verdict] : tableAfter(docText("json.md"), "## Reason codes")) {
        documented.insert(code);
    }
    EXPECT_EQ(documented, program);
    // The man page: each code on a line of its own, as roff writes it.
    const std::string man = docText("man/mdev-migcheck.8");
    for (const auto& code : program) {
        std::string roff;
        for (const char c : code) {
            roff += c == '-' ? std::string("\\-") : std::string(1, c);
        }
        EXPECT_NE(man.find("\n.B " + roff + "\n"), std::string::npos)
            << code << " is not in mdev-migcheck.8";
    }
}
