// The one escaping function for every byte the hook writes to its standard
// error and to the log.  Text in a message may come from another host (a
// recorded type id, a driver's answer) or from a file (the configuration);
// escaped, it can neither end the line it is on nor start a forged one, nor
// carry terminal escapes or bidirectional overrides.
#pragma once

#include <string>
#include <string_view>

namespace mdevmc {

// TEXT as one line: printable ASCII and valid UTF-8 (but no C1 control, line
// or paragraph separator, bidirectional control or BOM) are kept, a
// backslash is doubled, and every other byte is written \n, \r, \t or \xHH.
// Uses only the C library: the hook's front end links it.
std::string escapeLine(std::string_view text);

} // namespace mdevmc
