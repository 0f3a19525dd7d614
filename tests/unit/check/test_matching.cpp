// Which of the source's records is each hostdev's: by UUID, by guest
// address, by alias, as the only record of its type left; ambiguity and
// conflicts match nothing.
#include "check/matching.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;

namespace {

std::string u(int n) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "11111111-0000-4000-8000-%012d", n);
    return buf;
}

MdevHostdev hostdev(int n, const std::string& address = "", const std::string& alias = "") {
    MdevHostdev h;
    h.uuid = u(n);
    h.uuid_valid = true;
    h.model = "vfio-pci";
    h.address = address;
    h.alias = alias;
    return h;
}

MetadataEntry record(int n, const std::string& type, const std::string& address = "",
                     const std::string& alias = "") {
    MetadataEntry e;
    e.uuid = u(n);
    e.type = type;
    e.version = "v";
    e.address = address;
    e.alias = alias;
    return e;
}

Metadata source(std::vector<MetadataEntry> entries) {
    Metadata m;
    m.host = "hostA";
    m.entries = std::move(entries);
    m.index();
    return m;
}

// The UUID of the record matched for each hostdev ("" for none).
std::vector<std::string> uuidsOf(const std::vector<RecordMatch>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) {
        out.push_back(m.record != nullptr ? m.record->uuid : "");
    }
    return out;
}

} // namespace

TEST(Matching, ByUuidFirst) {
    const Metadata s = source({record(1, "T", "0000:00:05.0"), record(2, "T", "0000:00:06.0")});
    // Hostdev 2 has hostdev 1's address, yet its UUID has a record: UUIDs win.
    const auto ms = matchRecords({hostdev(2, "0000:00:05.0"), hostdev(1)}, s, {});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(2), u(1)}));
    EXPECT_EQ(ms[0].by, MatchedBy::Uuid);
    EXPECT_EQ(describeMatch(ms[0], hostdev(2)), "");
}

TEST(Matching, ByGuestAddress) {
    const Metadata s = source({record(1, "T", "0000:00:05.0"), record(2, "T", "0000:00:06.0")});
    const std::vector<MdevHostdev> hds{hostdev(12, "0000:00:06.0"), hostdev(11, "0000:00:05.0")};
    const auto ms = matchRecords(hds, s, {"T", "T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(2), u(1)}));
    EXPECT_EQ(ms[0].by, MatchedBy::Address);
    EXPECT_EQ(describeMatch(ms[0], hds[0]),
              "matched by guest address 0000:00:06.0 to the source's record of mdev " + u(2));
    EXPECT_EQ(std::string(matchedByName(ms[0].by)), "guest-address");
}

TEST(Matching, ByAddressEvenWhenTheTypeHereDiffers) {
    // The address names the device; the type mismatch is the check's to
    // report, not a reason to look for another record.
    const Metadata s = source({record(1, "T", "0000:00:05.0")});
    const auto ms = matchRecords({hostdev(11, "0000:00:05.0")}, s, {"U"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(1)}));
}

TEST(Matching, ByAlias) {
    const Metadata s = source({record(1, "T", "", "ua-a"), record(2, "T", "", "ua-b")});
    const std::vector<MdevHostdev> hds{hostdev(11, "", "ua-b"), hostdev(12, "", "ua-a")};
    const auto ms = matchRecords(hds, s, {});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(2), u(1)}));
    EXPECT_EQ(ms[0].by, MatchedBy::Alias);
    EXPECT_EQ(describeMatch(ms[0], hds[0]),
              "matched by alias ua-b to the source's record of mdev " + u(2));
}

TEST(Matching, OnlyUnmatchedRecordOfItsType) {
    // Records without addresses (mdev-migcheck 0.2.0): the type decides.
    const Metadata s = source({record(1, "T"), record(2, "U")});
    const std::vector<MdevHostdev> hds{hostdev(12, "0000:00:06.0"), hostdev(1)};
    const auto ms = matchRecords(hds, s, {"U", "T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(2), u(1)}));
    EXPECT_EQ(ms[0].by, MatchedBy::Type);
    EXPECT_EQ(describeMatch(ms[0], hds[0]),
              "matched by type U (the only record of it left) to the source's record of mdev " +
                  u(2));
}

TEST(Matching, SingleRecordLeftWhenTheDeviceIsNotHere) {
    const Metadata s = source({record(1, "T"), record(2, "T")});
    const auto ms = matchRecords({hostdev(1), hostdev(12)}, s, {"T", ""});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(1), u(2)}));
    EXPECT_EQ(ms[1].by, MatchedBy::Type);
}

TEST(Matching, TwoRecordsOfItsTypeAreAmbiguous) {
    const Metadata s = source({record(1, "T"), record(2, "T")});
    const auto ms = matchRecords({hostdev(11)}, s, {"T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{""}));
    EXPECT_EQ(ms[0].by, MatchedBy::None);
    EXPECT_EQ(ms[0].unmatched,
              "2 of the source's records left unmatched could be it, and nothing tells them "
              "apart (mdev " +
                  u(1) + " (type T); mdev " + u(2) + " (type T))");
    EXPECT_FALSE(ms[0].records_lack_address);
}

TEST(Matching, OneRecordTwoHostdevsIsAmbiguousForBoth) {
    const Metadata s = source({record(1, "T")});
    const auto ms = matchRecords({hostdev(11), hostdev(12)}, s, {"T", "T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{"", ""}));
    EXPECT_EQ(ms[0].unmatched, "the source's record of mdev " + u(1) +
                                   " (type T) could be it or another hostdev of the domain (mdev " +
                                   u(12) + "), and nothing tells them apart");
}

TEST(Matching, AddressesThatDifferNeverMatchByType) {
    const Metadata s = source({record(1, "T", "0000:00:05.0")});
    const auto ms = matchRecords({hostdev(11, "0000:00:07.0")}, s, {"T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{""}));
    EXPECT_EQ(ms[0].unmatched, "none of the source's 1 record(s) left unmatched fits it (mdev " +
                                   u(1) + " (type T, guest address 0000:00:05.0))");
}

TEST(Matching, AliasesThatDifferNeverMatchByType) {
    const Metadata s = source({record(1, "T", "", "ua-a")});
    EXPECT_EQ(uuidsOf(matchRecords({hostdev(11, "", "ua-b")}, s, {"T"})),
              (std::vector<std::string>{""}));
}

TEST(Matching, AnotherTypeHereNeverMatchesByType) {
    const Metadata s = source({record(1, "T")});
    const auto ms = matchRecords({hostdev(11)}, s, {"U"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{""}));
    EXPECT_NE(ms[0].unmatched.find("none of the source's 1 record(s)"), std::string::npos);
}

TEST(Matching, AddressMatchSettlesTheTypeMatchOfTheOther) {
    // Two records of one type: one hostdev keeps its address, the other has
    // none; once the first is matched by address the second is the only one.
    const Metadata s = source({record(1, "T", "0000:00:05.0"), record(2, "T", "0000:00:06.0")});
    const auto ms = matchRecords({hostdev(12), hostdev(11, "0000:00:05.0")}, s, {"T", "T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(2), u(1)}));
    EXPECT_EQ(ms[0].by, MatchedBy::Type);
    EXPECT_EQ(ms[1].by, MatchedBy::Address);
}

TEST(Matching, NothingLeftMeansNoMessage) {
    // The record covers every other hostdev: this one was not recorded (a
    // device attached after the record was made), not ambiguous.
    const Metadata s = source({record(1, "T")});
    const auto ms = matchRecords({hostdev(1), hostdev(12)}, s, {"T", "T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(1), ""}));
    EXPECT_EQ(ms[1].unmatched, "");
}

TEST(Matching, RecordsWithoutAddressAreFlaggedForAHostdevWithOne) {
    const Metadata s = source({record(1, "T"), record(2, "T")});
    const auto ms = matchRecords({hostdev(11, "0000:00:05.0")}, s, {"T"});
    EXPECT_TRUE(ms[0].records_lack_address);
}

TEST(Matching, InvalidUuidMatchesNothing) {
    MdevHostdev bad = hostdev(1);
    bad.uuid = "nope";
    bad.uuid_valid = false;
    const Metadata s = source({record(1, "T")});
    const auto ms = matchRecords({bad}, s, {});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{""}));
    EXPECT_EQ(ms[0].unmatched, "");
}

TEST(Matching, PastTheBoundOnlyUuidsMatch) {
    std::vector<MetadataEntry> es;
    for (int i = 0; i < static_cast<int>(kMaxMatched) + 1; ++i) {
        es.push_back(record(i + 1, "T"));
    }
    const Metadata s = source(es);
    const auto ms = matchRecords({hostdev(1), hostdev(100000)}, s, {"T", "T"});
    EXPECT_EQ(uuidsOf(ms), (std::vector<std::string>{u(1), ""}));
    EXPECT_NE(ms[1].unmatched.find("matched by UUID only"), std::string::npos);
}
