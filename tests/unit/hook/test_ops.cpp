#include "hook/ops.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;

TEST(HookOps, ParsesEveryLibvirtOp) {
    for (const char* name : {"prepare", "start", "started", "stopped", "release", "migrate",
                             "restore", "reconnect", "attach"}) {
        const HookOp op = hookOpFromString(name);
        EXPECT_NE(op, HookOp::Unknown) << name;
        EXPECT_STREQ(hookOpName(op), name);
    }
    EXPECT_EQ(hookOpFromString("Migrate"), HookOp::Unknown);
    EXPECT_EQ(hookOpFromString(""), HookOp::Unknown);
}

TEST(HookOps, ParsesSubops) {
    EXPECT_EQ(hookSubopFromString("begin"), HookSubop::Begin);
    EXPECT_EQ(hookSubopFromString("end"), HookSubop::End);
    EXPECT_EQ(hookSubopFromString("-"), HookSubop::None);
    EXPECT_EQ(hookSubopFromString("beginx"), HookSubop::Unknown);
}

TEST(HookOps, ActionTable) {
    EXPECT_EQ(hookAction(HookOp::Migrate, HookSubop::Begin), HookAction::CheckIncoming);
    EXPECT_EQ(hookAction(HookOp::Restore, HookSubop::Begin), HookAction::CheckIncoming);
    EXPECT_EQ(hookAction(HookOp::Started, HookSubop::Begin), HookAction::RecordVersions);
    EXPECT_EQ(hookAction(HookOp::Reconnect, HookSubop::Begin), HookAction::RecordVersions);
    EXPECT_EQ(hookAction(HookOp::Migrate, HookSubop::End), HookAction::Nothing);
    EXPECT_EQ(hookAction(HookOp::Prepare, HookSubop::Begin), HookAction::Nothing);
    EXPECT_EQ(hookAction(HookOp::Stopped, HookSubop::End), HookAction::Nothing);
    EXPECT_EQ(hookAction(HookOp::Unknown, HookSubop::Begin), HookAction::Nothing);
}

TEST(HookOps, PrefilterNeverMissesAnMdev) {
    EXPECT_TRUE(mayContainMdev("<hostdev mode='subsystem' type='mdev'/>"));
    EXPECT_TRUE(mayContainMdev("<hostdev type='&#109;dev'/>"));
    EXPECT_FALSE(mayContainMdev("<domain><name>vm</name></domain>"));
    EXPECT_FALSE(mayContainMdev(""));
}

TEST(HookOps, ActionNames) {
    EXPECT_STREQ(hookActionName(HookAction::Nothing), "nothing");
    EXPECT_STREQ(hookActionName(HookAction::CheckIncoming), "check-incoming");
    EXPECT_STREQ(hookActionName(HookAction::RecordVersions), "record-versions");
}

TEST(HookOps, RefusalPrefix) {
    EXPECT_STREQ(actionWord(HookOp::Restore), "restore");
    EXPECT_STREQ(actionWord(HookOp::Migrate), "migration");
    EXPECT_STREQ(actionWord(HookOp::Unknown), "migration");
    EXPECT_EQ(refusalPrefix(HookOp::Migrate, "vgpu1"),
              "mdev-migcheck: refusing migration of vgpu1: ");
    EXPECT_EQ(refusalPrefix(HookOp::Restore, "vm"), "mdev-migcheck: refusing restore of vm: ");
}
