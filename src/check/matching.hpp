// Which of the source's records describes each mdev hostdev of an incoming
// domain.  A hostdev's UUID may have been rewritten on the way (`virsh
// migrate --xml`, a qemu.d hook that runs before ours, an orchestrator that
// allocates the destination's device), so a hostdev whose UUID has no
// record is matched, one to one, to a record no other hostdev took:
//   1. by its guest PCI address, when both sides have one;
//   2. by its user alias, when both sides have one;
//   3. as the only record left of its type (the type of its device here;
//      when the device does not exist here, the only record left at all),
//      if no other hostdev could take that record and neither address nor
//      alias says they differ.
// Nothing is guessed: a hostdev that two records could describe, or a
// record that two hostdevs could take, is matched to none.
#pragma once

#include "domain/domain_xml.hpp"
#include "domain/metadata.hpp"

#include <string>
#include <vector>

namespace mdevmc {

// Past this many hostdevs or records, a hostdev is matched by its UUID only
// (a domain has at most kMaxCheckedMdevs hostdevs checked, and its record
// one entry each): the passes cost up to hostdevs² x records.
inline constexpr std::size_t kMaxMatched = 256;

enum class MatchedBy { None, Uuid, Address, Alias, Type };

// "none", "uuid", "guest-address", "alias", "type" (check --json's
// matched_by, the journal's MATCHED_BY).
const char* matchedByName(MatchedBy m);

struct RecordMatch {
    const MetadataEntry* record = nullptr; // into the source's Metadata
    MatchedBy by = MatchedBy::None;
    // No record matched, yet the source has records no hostdev took: why
    // none of them is this hostdev's ("2 of the source's records could be
    // it: ...").  Empty otherwise.
    std::string unmatched;
    // With `unmatched`: the hostdev has a guest address and a record left
    // has none (made by mdev-migcheck 0.2.0, which recorded no address): a
    // new record on the source would tell them apart.
    bool records_lack_address = false;
};

// For each of HOSTDEVS (in order) the source's record that describes it.
// TYPES_HERE[i] is the mdev type of hostdev i's device on this host, or
// empty when it does not exist here or is not known; it may be shorter
// than HOSTDEVS.  Hostdevs with an invalid UUID match nothing.
std::vector<RecordMatch> matchRecords(const std::vector<MdevHostdev>& hostdevs,
                                      const Metadata& source,
                                      const std::vector<std::string>& types_here);

// The words that say how a record was matched, for a verdict's detail:
// "matched by guest address 0000:00:05.0 to the source's record of mdev
// U"; empty for a match by UUID or none.
std::string describeMatch(const RecordMatch& m, const MdevHostdev& hd);

} // namespace mdevmc
