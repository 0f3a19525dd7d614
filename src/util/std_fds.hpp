// Standard descriptors that are closed when a program starts: the first
// file it opens would take their number, and output meant for stderr would
// land in it (or a later dup2 onto 0-2 would replace it).
#pragma once

#include <sys/types.h>
#include <vector>

namespace mdevmc {

// Opens /dev/null on each of descriptors 0, 1 and 2 that is not open.
// Returns false if one could not be opened.  Only the C library: the hook's
// front end uses it.
bool ensureStdFds();

// Closes every descriptor from 3 up but those in KEEP (negative ones are
// ignored): for a child process that must hold nothing of its parent's.
void closeAllBut(std::vector<int> keep);

// For a child just forked from PARENT that must hold nothing of its
// parent's (a lock, a pipe of libvirt's): it is killed when PARENT exits,
// its standard streams that are not in KEEP go to /dev/null, and every
// other descriptor but KEEP is closed.  False if PARENT is already gone or
// /dev/null cannot be opened.
bool detachFromParent(pid_t parent, std::vector<int> keep);

} // namespace mdevmc
