// The journal of the mdevs this host created for incoming domains
// (check/provision.hpp), and the lock that orders creation and removal.
// Both live in the run directory (util/run_dir.hpp, /run/mdev-migcheck):
//   lock                the lock file (flock), held while a parent is chosen
//                       and the device created and journalled, and while
//                       gc removes one;
//   created/MDEV_UUID   one entry per created device, "key=value" lines:
//       format=1
//       mdev=c2177883-f1bb-47f0-914d-32a22e3a8804
//       parent=0000:00:03.0
//       type=nvidia-63
//       domain=vgpu1                  (escaped: escapeLine)
//       domain-uuid=3e1e7d8c-1b4a-4f63-9a43-52f0c1e9d0aa
//       time=1795993200               (seconds since the epoch, UTC)
//       mdevctl=defined               (optional: gc defined it with mdevctl)
// An entry is written whole (to a dot file, then renamed), so a reader sees
// it complete or not at all.  Every field read back is validated; an entry
// that fails is reported and never acted on.
#pragma once

#include "util/deadline.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mdevmc {

struct CreatedEntry {
    std::string mdev; // canonical, lower case
    std::string parent;
    std::string type;
    std::string domain; // the domain's name when it was created (printable)
    std::string domain_uuid;
    std::int64_t time = 0; // seconds since the epoch
    bool mdevctl_defined = false;
};

// ENTRY as its journal text.
std::string formatCreatedEntry(const CreatedEntry& entry);
// TEXT as an entry, every field validated (NAME: its file name, which must
// be the entry's mdev UUID); the error says what is wrong.
Result<CreatedEntry> parseCreatedEntry(std::string_view text, std::string_view name);

// An entry read from the journal: the entry, or why it is unusable.
struct JournalRecord {
    std::string path;
    Result<CreatedEntry> entry = CreatedEntry{};
};

class CreatedJournal {
public:
    // The journal in RUN_DIR (created/ beneath it).
    explicit CreatedJournal(std::string run_dir);

    const std::string& runDir() const { return run_dir_; }
    std::string entryPath(const std::string& mdev) const;

    // Writes ENTRY (the run directory and created/ are made if missing).
    Result<void> write(const CreatedEntry& entry) const;
    // Removes the entry of MDEV; one already gone is no error.
    Result<void> remove(const std::string& mdev) const;
    // Every entry, in name order (a missing journal has none).
    Result<std::vector<JournalRecord>> list() const;
    // The entry of MDEV, nullopt if there is none.
    Result<std::optional<CreatedEntry>> find(const std::string& mdev) const;

    // The lock, held until the returned descriptor is closed; waits for it
    // until DEADLINE (ETIMEDOUT then).
    Result<UniqueFd> lock(Deadline deadline) const;

private:
    Result<void> ensureDirs() const;

    std::string run_dir_;
    std::string dir_;
};

} // namespace mdevmc
