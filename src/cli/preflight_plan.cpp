#include "cli/preflight_plan.hpp"

#include <map>
#include <tuple>

namespace mdevmc::cli {

namespace {

// (target, parent, type) -> instances taken by the domains placed so far.
using Taken = std::map<std::tuple<std::string, std::string, std::string>, long>;

const Cell* findCell(const std::vector<Cell>& cells, const std::string& domain,
                     const std::string& target) {
    for (const auto& c : cells) {
        if (c.domain == domain && c.target == target) {
            return &c;
        }
    }
    return nullptr;
}

// The devices of C's needs placed on parents with room in TAKEN (updated
// only if all fit); nullopt if one does not fit.
std::optional<std::vector<Placement::Create>> fit(const Cell& c, Taken& taken) {
    Taken trial = taken;
    std::vector<Placement::Create> create;
    for (const auto& n : c.needs) {
        bool placed = false;
        for (const auto& p : n.parents) {
            long& used = trial[{c.target, p.parent, n.type}];
            if (!p.available || used < *p.available) {
                ++used;
                create.push_back({n.uuid, n.type, p.parent});
                placed = true;
                break;
            }
        }
        if (!placed) {
            return std::nullopt;
        }
    }
    taken = std::move(trial);
    return create;
}

} // namespace

std::vector<Placement> planPlacements(const std::vector<std::string>& domains,
                                      const std::vector<std::string>& targets,
                                      const std::vector<Cell>& cells) {
    Taken taken;
    std::vector<Placement> plan;
    for (const auto& d : domains) {
        Placement p{d, std::nullopt, {}, {}};
        for (const auto& t : targets) {
            const Cell* c = findCell(cells, d, t);
            if (c == nullptr) {
                continue;
            }
            std::string why;
            if (c->verdict == CellVerdict::Compatible) {
                p.target = t;
            } else if (c->verdict == CellVerdict::Provision) {
                if (auto create = fit(*c, taken)) {
                    p.target = t;
                    p.create = std::move(*create);
                } else {
                    why = "no instance left for its mdevs after the VMs placed before it";
                }
            } else {
                why = std::string(cellVerdictName(c->verdict)) + " (" + c->reason + ")";
            }
            if (p.target) {
                break;
            }
            p.why += (p.why.empty() ? "" : "; ") + t + ": " + why;
        }
        if (p.target) {
            p.why.clear();
        }
        plan.push_back(std::move(p));
    }
    return plan;
}

} // namespace mdevmc::cli
