// Standard descriptors that are closed when a program starts: the first
// file it opens would take their number, and output meant for stderr would
// land in it (or a later dup2 onto 0-2 would replace it).
#pragma once

#include <vector>

namespace mdevmc {

// Opens /dev/null on each of descriptors 0, 1 and 2 that is not open.
// Returns false if one could not be opened.  Only the C library: the hook's
// front end uses it.
bool ensureStdFds();

// Closes every descriptor from 3 up but those in KEEP (negative ones are
// ignored): for a child process that must hold nothing of its parent's.
void closeAllBut(std::vector<int> keep);

} // namespace mdevmc
