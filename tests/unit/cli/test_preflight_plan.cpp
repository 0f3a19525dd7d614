// The preflight plan: capacity counted across the domains it places.
#include "cli/preflight_plan.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;
using namespace mdevmc::cli;

TEST(PreflightPlan, CapacityIsSharedAcrossDomains) {
    const auto provision = [](const std::string& d, const std::string& t, long avail) {
        Cell c;
        c.domain = d;
        c.target = t;
        c.verdict = CellVerdict::Provision;
        c.needs.push_back({d + "-u", "ty", {{"p", avail}}});
        return c;
    };
    Cell refused;
    refused.domain = "vm3";
    refused.target = "b";
    refused.verdict = CellVerdict::Refused;
    refused.reason = "rejected";
    const std::vector<Cell> cells{provision("vm1", "b", 1),
                                  provision("vm1", "c", 1),
                                  provision("vm2", "b", 1),
                                  provision("vm2", "c", 1),
                                  refused,
                                  provision("vm3", "c", 1)};
    const auto plan = planPlacements({"vm1", "vm2", "vm3"}, {"b", "c"}, cells);
    ASSERT_EQ(plan.size(), 3U);
    EXPECT_EQ(plan[0].target, "b");
    ASSERT_EQ(plan[0].create.size(), 1U);
    EXPECT_EQ(plan[0].create[0].parent, "p");
    EXPECT_EQ(plan[1].target, "c"); // b's one instance went to vm1
    EXPECT_EQ(plan[2].target, std::nullopt);
    EXPECT_EQ(plan[2].why, "b: refused (rejected); c: no instance left for its mdevs after the VMs "
                           "placed before it");
}
