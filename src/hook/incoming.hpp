// What `migrate begin` leaves for `prepare begin` about a migration it let
// through unrecorded.
//
// libvirt 9.0 hands `migrate begin` the same XML for a live migration and
// for an offline one (`virsh migrate --offline --persistent`): the
// persistent definition of a shut-off VM and the live definition of a VM
// whose source has not recorded its devices yet (just started, or running
// since before mdev-migcheck was installed there) differ only in the record
// itself.  An offline migration carries no device state and must pass; a
// live one must not pass unchecked.  Only a live migration goes on to
// `prepare begin` on this host, a few milliseconds later.  So `migrate
// begin` accepts a domain whose XML carries no record and leaves a note
// (run/mdev-migcheck/incoming/DOMAIN-UUID); `prepare begin` finds the note
// and refuses.  An offline migration leaves a note that no prepare takes: a
// later start of the domain here is told apart by libvirt's persistent
// definition (etc/libvirt/qemu/NAME.xml), which the offline migration wrote
// after the note, and the note is ignored past kIncomingNoteTtl.
#pragma once

#include "util/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc {

// How long a note stands for the migration that left it.
inline constexpr std::chrono::seconds kIncomingNoteTtl{30};

struct IncomingNote {
    std::string domain;             // the domain's name
    std::string uuid;               // the domain's UUID (the note's file name)
    long long at_ms = 0;            // when migrate begin wrote it (CLOCK_REALTIME)
    std::string definition;         // definitionDigest() of NAME.xml then
    std::vector<std::string> mdevs; // the UUIDs of the domain's mdevs
};

// "run/mdev-migcheck/incoming/UUID", beneath the root; UUID must be valid.
std::string incomingNotePath(std::string_view domain_uuid);

// The note's text ("key=value" lines) and its parser, side by side.  The
// parser validates every field; a note it cannot read fails naming the
// field.
std::string formatIncomingNote(const IncomingNote& note);
Result<IncomingNote> parseIncomingNote(std::string_view text);

// libvirt's persistent definition of domain NAME beneath the root
// ("etc/libvirt/qemu/NAME.xml"); nullopt for a name that is no file name.
std::optional<std::string> definitionPath(std::string_view name);

// A digest of a definition's text ("absent" when there is none), to tell
// whether it changed between two hook calls.
std::string definitionDigest(const std::optional<std::string>& text);

} // namespace mdevmc
