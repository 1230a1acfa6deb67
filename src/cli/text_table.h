#pragma once

#include <string>
#include <vector>

namespace walnut {

// The two table layouts WAL-G prints lists in (internal/printlist), for commands whose output
// scripts parse. A row is a list of cells; widths count UTF-8 characters, as Go does.

// Go's text/tabwriter as WAL-G configures it (minwidth 0, tabwidth 0, padding 1, ' ', no flags):
// every cell but the last of a row padded to the widest cell of its column plus one space; the
// last cell as is. One line per row, each ending in '\n'.
std::string TabbedTable(const std::vector<std::vector<std::string>>& rows);

// go-pretty's default table (WAL-G's --pretty): a "#" column numbering the rows from 0, headers
// upper-cased, '+'/'-'/'|' borders, one space of padding. Empty when there are no rows.
std::string AsciiTable(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

}  // namespace walnut
