// How a hostdev is known inside the guest, apart from its mdev UUID: its
// guest PCI address (<address type='pci' domain= bus= slot= function=/>)
// and its user alias (<alias name='ua-...'/>).  A source host records both,
// so that a destination whose hostdev carries another UUID (rewritten by
// `virsh migrate --xml` or a hook) can still find the source's record of it.
// Both come from another host: each is checked here before it is used.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mdevmc {

// The longest user alias accepted (libvirt sets no bound; a real one is a
// few characters).
inline constexpr std::size_t kMaxUserAlias = 128;

// The guest PCI address of the four attribute values as libvirt's parser
// reads them (a number in hex with "0x", or in decimal; domain <= 0xffff,
// bus <= 0xff, slot <= 0x1f, function <= 7), in the canonical form
// "0000:00:05.0"; nullopt when one is missing or not such a number.
std::optional<std::string> guestPciAddress(std::string_view domain, std::string_view bus,
                                           std::string_view slot, std::string_view function);

// A canonical guest PCI address: "dddd:bb:ss.f" in lower-case hex, slot at
// most 1f, function at most 7.
bool isValidGuestAddress(std::string_view s);

// A user alias as libvirt keeps it: "ua-" and then 1 or more of
// [A-Za-z0-9_-], at most kMaxUserAlias characters in all.  libvirt drops
// every other alias (its automatic "hostdev0") before `migrate begin`.
bool isUserAlias(std::string_view s);

} // namespace mdevmc
