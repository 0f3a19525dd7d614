#include "hook/incoming.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;

namespace {

IncomingNote sampleNote() {
    return IncomingNote{"vgpu1",
                        "3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001",
                        1796162291646,
                        definitionDigest(std::string("<domain/>")),
                        {"c2177883-f1bb-47f0-914d-32a22e3a8804"}};
}

} // namespace

TEST(IncomingNote, RoundTrips) {
    const IncomingNote n = sampleNote();
    auto back = parseIncomingNote(formatIncomingNote(n));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->domain, n.domain);
    EXPECT_EQ(back->uuid, n.uuid);
    EXPECT_EQ(back->at_ms, n.at_ms);
    EXPECT_EQ(back->definition, n.definition);
    EXPECT_EQ(back->mdevs, n.mdevs);
}

TEST(IncomingNote, EveryFieldIsValidated) {
    const std::string good = formatIncomingNote(sampleNote());
    const std::vector<std::pair<std::string, std::string>> cases{
        {"uuid=3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001", "uuid=../../etc/passwd"},
        {"at-ms=1796162291646", "at-ms=-5"},
        {"at-ms=1796162291646", "at-ms=12x"},
        {"mdev=c2177883-f1bb-47f0-914d-32a22e3a8804", "mdev=nope"},
        {"domain=vgpu1", "domain=a/b"},
        {"domain=vgpu1", "domain=.hidden"},
        {"definition=", "definition=ZZZZ"},
    };
    for (const auto& [from, to] : cases) {
        std::string text = good;
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        if (from == "definition=") {
            const auto eol = text.find('\n', at);
            text.replace(at, eol - at, to);
        } else {
            text.replace(at, from.size(), to);
        }
        auto r = parseIncomingNote(text);
        ASSERT_FALSE(r) << to;
        EXPECT_EQ(r.error().err, EINVAL);
        EXPECT_NE(r.error().message.find("incoming note: invalid"), std::string::npos)
            << r.error().message;
    }
}

TEST(IncomingNote, CutOrIncompleteNotesFail) {
    const std::string good = formatIncomingNote(sampleNote());
    EXPECT_FALSE(parseIncomingNote(good.substr(0, good.size() - 1)));
    EXPECT_FALSE(parseIncomingNote("domain=vgpu1\n"));
    EXPECT_FALSE(parseIncomingNote(good + "colour=blue\n"));
    EXPECT_FALSE(parseIncomingNote(""));
}

TEST(IncomingNote, PathsAreBeneathTheRoot) {
    EXPECT_EQ(incomingNotePath("3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001"),
              "run/mdev-migcheck/incoming/3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d001");
    EXPECT_EQ(definitionPath("vgpu1"), "etc/libvirt/qemu/vgpu1.xml");
    EXPECT_EQ(definitionPath("a/b"), std::nullopt);
    EXPECT_EQ(definitionPath(".."), std::nullopt);
    EXPECT_EQ(definitionPath(""), std::nullopt);
    EXPECT_EQ(definitionPath("vm\nVERDICT=accepted"), std::nullopt);
    EXPECT_EQ(definitionPath(std::string("a\x7f", 2)), std::nullopt);
}

TEST(IncomingNote, DigestTellsDefinitionsApart) {
    EXPECT_EQ(definitionDigest(std::nullopt), "absent");
    const std::string a = definitionDigest(std::string("<domain>a</domain>"));
    EXPECT_EQ(a.size(), 16U);
    EXPECT_NE(a, definitionDigest(std::string("<domain>b</domain>")));
    EXPECT_NE(a, definitionDigest(std::string()));
    EXPECT_EQ(a, definitionDigest(std::string("<domain>a</domain>")));
}
