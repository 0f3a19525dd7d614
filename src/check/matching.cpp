#include "check/matching.hpp"

#include <algorithm>
#include <cstddef>

namespace mdevmc {

namespace {

// The most records a message lists; the rest are counted.
constexpr std::size_t kListed = 4;

// "mdev U (type T, guest address A, alias L)", what a record says of its
// device.
std::string describeRecordOf(const MetadataEntry& r) {
    std::string about;
    const auto add = [&about](const std::string& what, const std::string& value) {
        if (!value.empty()) {
            about += (about.empty() ? "" : ", ") + what + " " + value;
        }
    };
    add("type", r.type);
    add("guest address", r.address);
    add("alias", r.alias);
    return "mdev " + r.uuid + (about.empty() ? "" : " (" + about + ")");
}

std::string listRecords(const std::vector<const MetadataEntry*>& recs) {
    std::string out;
    for (std::size_t i = 0; i < recs.size() && i < kListed; ++i) {
        out += (i == 0 ? "" : "; ") + describeRecordOf(*recs[i]);
    }
    if (recs.size() > kListed) {
        out += "; and " + std::to_string(recs.size() - kListed) + " more";
    }
    return out;
}

struct Matcher {
    const std::vector<MdevHostdev>& hostdevs;
    const Metadata& source;
    const std::vector<std::string>& types_here;
    std::vector<RecordMatch> out;
    std::vector<bool> taken;

    std::string typeHere(std::size_t i) const {
        return i < types_here.size() ? types_here[i] : std::string();
    }
    bool pending(std::size_t i) const { return hostdevs[i].uuid_valid && out[i].record == nullptr; }
    std::size_t indexOf(const MetadataEntry* r) const {
        return static_cast<std::size_t>(r - source.entries.data());
    }
    void take(std::size_t i, const MetadataEntry* r, MatchedBy by) {
        out[i].record = r;
        out[i].by = by;
        taken[indexOf(r)] = true;
    }
    // Whether record R could be hostdev I's: nothing either side says
    // tells them apart.
    bool fits(std::size_t i, const MetadataEntry& r) const {
        const MdevHostdev& hd = hostdevs[i];
        if (!hd.address.empty() && !r.address.empty() && hd.address != r.address) {
            return false;
        }
        if (!hd.alias.empty() && !r.alias.empty() && hd.alias != r.alias) {
            return false;
        }
        const std::string t = typeHere(i);
        return t.empty() || r.type == t;
    }
    std::vector<const MetadataEntry*> untaken() const {
        std::vector<const MetadataEntry*> v;
        for (std::size_t k = 0; k < source.entries.size(); ++k) {
            if (!taken[k]) {
                v.push_back(&source.entries[k]);
            }
        }
        return v;
    }
    // The pending hostdevs other than I that record R could be.
    std::vector<std::size_t> rivals(std::size_t i, const MetadataEntry& r) const {
        std::vector<std::size_t> v;
        for (std::size_t j = 0; j < hostdevs.size(); ++j) {
            if (j != i && pending(j) && fits(j, r)) {
                v.push_back(j);
            }
        }
        return v;
    }

    // A pass by a key both sides may have (the guest address, the alias).
    template <typename HostdevKey, typename RecordKey>
    bool byKey(MatchedBy by, HostdevKey hkey, RecordKey rkey) {
        bool progress = false;
        for (std::size_t i = 0; i < hostdevs.size(); ++i) {
            const std::string k = pending(i) ? hkey(hostdevs[i]) : std::string();
            if (k.empty()) {
                continue;
            }
            const MetadataEntry* found = nullptr;
            std::size_t n = 0;
            for (const MetadataEntry* r : untaken()) {
                if (rkey(*r) == k) {
                    found = r;
                    ++n;
                }
            }
            std::size_t same = 0;
            for (std::size_t j = 0; j < hostdevs.size(); ++j) {
                same += pending(j) && hkey(hostdevs[j]) == k ? 1U : 0U;
            }
            if (n == 1 && same == 1) {
                take(i, found, by);
                progress = true;
            }
        }
        return progress;
    }

    bool byType() {
        bool progress = false;
        for (std::size_t i = 0; i < hostdevs.size(); ++i) {
            if (!pending(i)) {
                continue;
            }
            const MetadataEntry* found = nullptr;
            std::size_t n = 0;
            for (const MetadataEntry* r : untaken()) {
                if (fits(i, *r)) {
                    found = r;
                    ++n;
                }
            }
            if (n == 1 && rivals(i, *found).empty()) {
                take(i, found, MatchedBy::Type);
                progress = true;
            }
        }
        return progress;
    }

    // Why pending hostdev I took none of the records left.
    std::string whyUnmatched(std::size_t i) const {
        const auto left = untaken();
        std::vector<const MetadataEntry*> fitting;
        for (const MetadataEntry* r : left) {
            if (fits(i, *r)) {
                fitting.push_back(r);
            }
        }
        if (fitting.empty()) {
            return "none of the source's " + std::to_string(left.size()) +
                   " record(s) left unmatched fits it (" + listRecords(left) + ")";
        }
        if (fitting.size() > 1) {
            return std::to_string(fitting.size()) +
                   " of the source's records left unmatched could be it, and nothing tells "
                   "them apart (" +
                   listRecords(fitting) + ")";
        }
        const auto others = rivals(i, *fitting[0]);
        std::string names;
        for (std::size_t j = 0; j < others.size() && j < kListed; ++j) {
            names += (j == 0 ? "" : ", ") + std::string("mdev ") + hostdevs[others[j]].uuid;
        }
        return "the source's record of " + describeRecordOf(*fitting[0]) +
               " could be it or another hostdev of the domain (" + names +
               "), and nothing tells them apart";
    }
};

} // namespace

const char* matchedByName(MatchedBy m) {
    switch (m) {
    case MatchedBy::None:
        return "none";
    case MatchedBy::Uuid:
        return "uuid";
    case MatchedBy::Address:
        return "guest-address";
    case MatchedBy::Alias:
        return "alias";
    case MatchedBy::Type:
        return "type";
    }
    return "none";
}

std::vector<RecordMatch> matchRecords(const std::vector<MdevHostdev>& hostdevs,
                                      const Metadata& source,
                                      const std::vector<std::string>& types_here) {
    Matcher m{hostdevs, source, types_here, std::vector<RecordMatch>(hostdevs.size()),
              std::vector<bool>(source.entries.size(), false)};
    for (std::size_t i = 0; i < hostdevs.size(); ++i) {
        if (!hostdevs[i].uuid_valid) {
            continue;
        }
        if (const MetadataEntry* r = source.find(hostdevs[i].uuid)) {
            m.take(i, r, MatchedBy::Uuid);
        }
    }
    if (hostdevs.size() > kMaxMatched || source.entries.size() > kMaxMatched) {
        for (std::size_t i = 0; i < hostdevs.size(); ++i) {
            if (m.pending(i) && !source.entries.empty()) {
                m.out[i].unmatched = "it is matched by UUID only: the domain has " +
                                     std::to_string(hostdevs.size()) +
                                     " mdev hostdevs and the source's record " +
                                     std::to_string(source.entries.size()) +
                                     " entries; others are matched when both are at most " +
                                     std::to_string(kMaxMatched);
            }
        }
        return std::move(m.out);
    }
    // Each pass can settle what an earlier one left open (a record taken
    // is no longer a candidate, a hostdev matched no longer a rival); each
    // round that makes progress matches one hostdev at least.
    for (std::size_t round = 0; round <= hostdevs.size(); ++round) {
        bool progress = m.byKey(
            MatchedBy::Address, [](const MdevHostdev& h) { return h.address; },
            [](const MetadataEntry& r) { return r.address; });
        progress |= m.byKey(
            MatchedBy::Alias, [](const MdevHostdev& h) { return h.alias; },
            [](const MetadataEntry& r) { return r.alias; });
        progress |= m.byType();
        if (!progress) {
            break;
        }
    }
    const bool any_left = !m.untaken().empty();
    for (std::size_t i = 0; i < hostdevs.size(); ++i) {
        if (!any_left || !m.pending(i)) {
            continue;
        }
        m.out[i].unmatched = m.whyUnmatched(i);
        const auto left = m.untaken();
        m.out[i].records_lack_address =
            !hostdevs[i].address.empty() &&
            std::any_of(left.begin(), left.end(),
                        [](const MetadataEntry* r) { return r->address.empty(); });
    }
    return std::move(m.out);
}

std::string describeMatch(const RecordMatch& m, const MdevHostdev& hd) {
    if (m.record == nullptr || m.by == MatchedBy::None || m.by == MatchedBy::Uuid) {
        return {}; // nothing to say (and no text made for it)
    }
    const std::string to = " to the source's record of mdev " + m.record->uuid;
    switch (m.by) {
    case MatchedBy::None:
    case MatchedBy::Uuid:
        return {};
    case MatchedBy::Address:
        return "matched by guest address " + hd.address + to;
    case MatchedBy::Alias:
        return "matched by alias " + hd.alias + to;
    case MatchedBy::Type:
        return m.record->type.empty()
                   ? "matched as the only record left" + to
                   : "matched by type " + m.record->type + " (the only record of it left)" + to;
    }
    return {};
}

} // namespace mdevmc
