#include "check/provision.hpp"

#include "check/evidence.hpp"
#include "mdev/validate.hpp"
#include "util/errno_name.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace mdevmc {

namespace {

// The compatible candidates of V, the source's parent first, then the
// others in the order the decision found them (name order).
std::vector<const ParentCandidate*> orderedCandidates(const DeviceVerdict& v,
                                                      const std::string& source_parent) {
    std::vector<const ParentCandidate*> out;
    for (const auto& c : v.candidates) {
        if (c.compatible) {
            out.push_back(&c);
        }
    }
    std::stable_partition(out.begin(), out.end(),
                          [&](const ParentCandidate* c) { return c->parent == source_parent; });
    return out;
}

std::string writeFailure(const AttrWrite& w, std::size_t size, std::chrono::milliseconds t) {
    if (w.timed_out) {
        return "the driver did not answer within " + std::to_string(t.count()) + " ms (timed out)";
    }
    if (w.err != 0) {
        return errnoPhrase(w.err);
    }
    return "the driver took only " + std::to_string(w.written) + " of " + std::to_string(size) +
           " bytes (short write)";
}

// Creates V's device on the first of its candidates that has an instance
// now; the journal entry is written before the creation and removed again
// when the creation surely did not happen.
std::optional<std::string> createOne(const DeviceVerdict& v, const std::string& source_parent,
                                     const MdevHost& host, const Config& config, Deadline deadline,
                                     const CreatedJournal& journal, CreatedEntry& entry) {
    std::string why;
    const auto t = config.attr_timeout;
    for (const ParentCandidate* c : orderedCandidates(v, source_parent)) {
        const auto avail = host.typeInfo(c->parent, v.type, deadline.capped(t)).available_instances;
        if (!avail || *avail <= 0) {
            why += (why.empty() ? "" : "; ") + c->parent + ": " +
                   (avail ? "no instance left" : "available_instances unreadable");
            continue;
        }
        entry.parent = c->parent;
        if (auto w = journal.write(entry); !w) {
            return "not created: " + w.error().message;
        }
        const AttrWrite w = host.io().write(paths::typeAttr(c->parent, v.type, "create"), v.uuid,
                                            deadline.capped(t));
        if (w.err == 0 && !w.timed_out && w.written == v.uuid.size()) {
            return std::nullopt;
        }
        if (!w.timed_out) {
            (void)journal.remove(entry.mdev); // surely not created
        }
        why += (why.empty() ? "" : "; ") + c->parent + ": writing its create attribute failed (" +
               writeFailure(w, v.uuid.size(), t) + ")";
    }
    return why.empty() ? std::string("no compatible parent") : why;
}

} // namespace

bool worthProvisioning(const Decision& d) {
    bool any = false;
    for (const auto& v : d.devices) {
        if (v.compatible) {
            continue;
        }
        const bool fits = std::any_of(v.candidates.begin(), v.candidates.end(),
                                      [](const ParentCandidate& c) { return c.compatible; });
        if (v.reason != Reason::DeviceMissing || !fits) {
            return false;
        }
        any = true;
    }
    return any;
}

ProvisionOutcome provisionMissing(const Decision& d, const std::optional<Metadata>& source,
                                  const MdevHost& host, const Config& config, Deadline deadline,
                                  const CreatedJournal& journal, const std::string& domain,
                                  const std::string& domain_uuid) {
    ProvisionOutcome out;
    auto held = journal.lock(deadline);
    if (!held) {
        for (const auto& v : d.devices) {
            if (!v.compatible) {
                out.failures.emplace_back(v.uuid, held.error().message);
            }
        }
        return out;
    }
    for (const auto& v : d.devices) {
        if (v.compatible || v.reason != Reason::DeviceMissing) {
            continue;
        }
        const MetadataEntry* rec = source ? source->find(v.uuid) : nullptr;
        CreatedEntry entry;
        entry.mdev = canonicalUuid(v.uuid);
        entry.type = v.type;
        entry.domain = domain;
        entry.domain_uuid = domain_uuid;
        entry.time = static_cast<std::int64_t>(::time(nullptr));
        if (auto why = createOne(v, rec != nullptr ? rec->parent : std::string(), host, config,
                                 deadline, journal, entry)) {
            out.failures.emplace_back(v.uuid, *why);
        } else {
            out.created.push_back(std::move(entry));
        }
    }
    return out;
}

void noteProvisionFailures(Decision& d, const ProvisionOutcome& p) {
    for (auto& v : d.devices) {
        if (v.compatible) {
            continue;
        }
        for (const auto& [uuid, why] : p.failures) {
            if (uuid != v.uuid) {
                continue;
            }
            const std::string step = v.next_step;
            if (!step.empty()) {
                v.detail.resize(v.detail.size() - step.size() - std::string("; next: ").size());
            }
            v.detail += "; creating it here failed: " + why;
            restateMessage(v);
            if (!step.empty()) {
                v.next_step.clear();
                suggest(v, step);
            }
        }
    }
}

RemoveResult removeCreatedDevice(const MdevHost& host, const CreatedEntry& entry, Deadline deadline,
                                 std::chrono::milliseconds attr_timeout) {
    auto dev = host.device(entry.mdev, deadline.capped(attr_timeout));
    if (!dev) {
        if (dev.error().err == ENOENT) {
            return {RemoveStatus::AlreadyGone, {}};
        }
        return {RemoveStatus::Failed, dev.error().message};
    }
    if (dev->parent != entry.parent || dev->type_id != entry.type) {
        return {RemoveStatus::NotOurs, "the device now under its UUID is of type " +
                                           quoteValue(dev->type_id) + " on parent " +
                                           quoteValue(dev->parent) + ", not the one created"};
    }
    const AttrWrite w =
        host.io().write(paths::device(entry.mdev) + "/remove", "1", deadline.capped(attr_timeout));
    if (w.err == 0 && !w.timed_out && w.written == 1) {
        return {RemoveStatus::Removed, {}};
    }
    if (w.err == ENOENT || w.err == ENODEV) {
        return {RemoveStatus::AlreadyGone, {}}; // gone between the lookup and the write
    }
    return {RemoveStatus::Failed,
            "writing its remove attribute failed (" + writeFailure(w, 1, attr_timeout) + ")"};
}

std::vector<std::string> rollBackCreated(const std::vector<CreatedEntry>& created,
                                         const MdevHost& host, const CreatedJournal& journal,
                                         Deadline deadline,
                                         std::chrono::milliseconds attr_timeout) {
    std::vector<std::string> problems;
    if (created.empty()) {
        return problems;
    }
    auto held = journal.lock(deadline);
    if (!held) {
        problems.push_back("not removing the mdevs it created (gc will): " + held.error().message);
        return problems;
    }
    for (const auto& e : created) {
        const RemoveResult r = removeCreatedDevice(host, e, deadline, attr_timeout);
        if (r.status == RemoveStatus::Failed) {
            problems.push_back("cannot remove mdev " + e.mdev + " it created on parent " +
                               e.parent + " (gc will retry): " + r.detail);
            continue;
        }
        if (auto rm = journal.remove(e.mdev); !rm) {
            problems.push_back(rm.error().message);
        }
    }
    return problems;
}

} // namespace mdevmc
