// The preflight's plan: each domain assigned to a target that can take it,
// counting the capacity (available_instances of a parent's type) that the
// devices to be created consume across the domains it places.
#pragma once

#include "cli/preflight_cell.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mdevmc::cli {

struct Placement {
    std::string domain;
    std::optional<std::string> target; // nullopt: no target can take it
    // The devices to create there: (uuid, type, parent).
    struct Create {
        std::string uuid;
        std::string type;
        std::string parent;
    };
    std::vector<Create> create;
    std::string why; // when not placed: each target's reason
};

// Greedy and deterministic: the domains in the order of DOMAINS, each on
// the first of TARGETS (in order) whose cell is compatible, or provision
// with enough capacity left after the domains placed before it; each
// missing device on the first compatible parent with an instance left.
// CELLS holds one cell per (domain, target).
std::vector<Placement> planPlacements(const std::vector<std::string>& domains,
                                      const std::vector<std::string>& targets,
                                      const std::vector<Cell>& cells);

} // namespace mdevmc::cli
