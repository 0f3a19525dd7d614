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
    EXPECT_EQ(hookAction(HookOp::Prepare, HookSubop::Begin), HookAction::ConfirmIncoming);
    EXPECT_EQ(hookAction(HookOp::Prepare, HookSubop::End), HookAction::Nothing);
    EXPECT_EQ(hookAction(HookOp::Stopped, HookSubop::End), HookAction::Nothing);
    EXPECT_EQ(hookAction(HookOp::Unknown, HookSubop::Begin), HookAction::Nothing);
    EXPECT_EQ(hookAction(HookOp::Release, HookSubop::End), HookAction::CollectCreated);
    EXPECT_EQ(hookAction(HookOp::Release, HookSubop::Begin), HookAction::Nothing);
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
    EXPECT_STREQ(hookActionName(HookAction::ConfirmIncoming), "confirm-incoming");
}

TEST(HookOps, RefusalPrefix) {
    EXPECT_STREQ(actionWord(HookOp::Restore), "restore");
    EXPECT_STREQ(actionWord(HookOp::Migrate), "migration");
    EXPECT_STREQ(actionWord(HookOp::Unknown), "migration");
    EXPECT_EQ(refusalPrefix(HookOp::Migrate, "vgpu1"),
              "mdev-migcheck: refusing migration of vgpu1: ");
    EXPECT_EQ(refusalPrefix(HookOp::Restore, "vm"), "mdev-migcheck: refusing restore of vm: ");
}

TEST(HookOps, PrefilterFollowsWhatLibvirtsParserCanSee) {
    // Found: the attribute in any spelling libvirt's parser reads as type=mdev.
    for (const char* xml : {"<hostdev type=\"mdev\"/>", "<hostdev type = 'mdev'/>",
                            "<hostdev x:type='mdev'/>", "<hostdev type=\n'mdev'/>"}) {
        EXPECT_TRUE(mayContainMdev(xml)) << xml;
    }
    // Passed on: what could spell it another way.
    for (const char* xml :
         {"<hostdev type='&#x6d;dev'/>", "<!DOCTYPE d [<!ENTITY m \"mdev\">]><d/>",
          "<?xml version='1.0' encoding='UTF-16'?><d/>", "\x4c\x84\x96\x94", "<d>&m;</d>",
          "<d><![CDATA[x]]></d>"}) {
        EXPECT_TRUE(mayContainMdev(xml)) << xml;
    }
    EXPECT_TRUE(mayContainMdev(std::string("<\0d\0", 4))); // UTF-16
    EXPECT_TRUE(mayContainMdev("\xff\xfe<\x00"));          // UTF-16 with a BOM, cut
    // Not an mdev hostdev: a mention, a name, the predefined entities.
    for (const char* xml :
         {"<domain><description>mdev test</description></domain>", "<name>mdev1</name>",
          "<disk type='mdevx'/>", "<d a='b &amp; c &lt; &gt; &quot; &apos;'/>",
          "\xef\xbb\xbf <domain/>", "<hostdev type='mdev '/>"}) {
        EXPECT_FALSE(mayContainMdev(xml)) << xml;
    }
}

TEST(HookOps, PiecesOfAHugeDocument) {
    EXPECT_TRUE(mentionsMdev("<hostdev type='mdev'/>"));
    EXPECT_TRUE(mentionsMdev("a &#109; b"));
    EXPECT_TRUE(mentionsMdev(std::string("a\0b", 3)));
    // A spelling cut by the start of the piece counts as found.
    EXPECT_TRUE(mentionsMdev("'mdev'/>"));
    EXPECT_TRUE(mentionsMdev("  = 'mdev'/>"));
    EXPECT_TRUE(mentionsMdev("pe='mdev'/>"));
    EXPECT_FALSE(mentionsMdev("<description>an mdev test</description>"));
    EXPECT_FALSE(mentionsMdev("<disk>&amp;&lt;</disk>   "));
    EXPECT_FALSE(mentionsMdev("plain text &am")); // the next piece sees it whole
}
