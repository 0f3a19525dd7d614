#include "policy.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevsim;

TEST(SimfsPolicy, FormatsTheTypeVersion) {
    EXPECT_EQ(formatVersion("8086", "193b", "i915-GVTg_V5_4", "5.2"),
              "8086-193b-i915-GVTg_V5_4-5.2");
}

TEST(SimfsPolicy, AcceptanceTable) {
    const std::string target = "8086-193b-i915-GVTg_V5_4-5.2";
    struct Row {
        const char* written;
        int expect;
    };
    for (const Row& r :
         {Row{"8086-193b-i915-GVTg_V5_4-5.2", 0},      // same
          Row{"8086-193b-i915-GVTg_V5_4-5.2\n", 0},    // as echo writes it
          Row{"8086-193b-i915-GVTg_V5_4-5.0", 0},      // older minor
          Row{"8086-193b-i915-GVTg_V5_4-5.3", EINVAL}, // newer minor
          Row{"8086-193b-i915-GVTg_V5_4-4.2", EINVAL}, // other major
          Row{"8086-193b-i915-GVTg_V5_4-6.0", EINVAL},
          Row{"8086-193c-i915-GVTg_V5_4-5.2", EINVAL}, // other device
          Row{"10de-193b-i915-GVTg_V5_4-5.2", EINVAL}, // other vendor
          Row{"8086-193b-i915-GVTg_V5_8-5.2", EINVAL}, // other type
          Row{"8086-193b-i915-GVTg_V5_4-5.2\n\n", EINVAL}, Row{"garbage", EINVAL}, Row{"", EINVAL},
          Row{"8086-193b-5.2", EINVAL}, Row{"8086-193b-i915-GVTg_V5_4-5", EINVAL},
          Row{"8086-193b-i915-GVTg_V5_4-5.x", EINVAL}}) {
        EXPECT_EQ(acceptVersion(target, r.written), r.expect) << r.written;
    }
}

TEST(SimfsPolicy, UnparseableTargetAcceptsNothing) {
    EXPECT_EQ(acceptVersion("broken", "broken"), EINVAL);
}
