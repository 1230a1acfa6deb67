#pragma once

#include <string>
#include <vector>

namespace walnut::wal {

// A column of a table printed the way WAL-G's go-pretty tables look (StyleDefault): header in
// upper case, numbers (Go number types, including LSNs and status enums) right-aligned in the
// header too, text left-aligned.
struct TableColumn {
  std::string header;
  bool numeric = false;
};

// The table as lines ending in '\n':
//   +-----+--------------------------+
//   | TLI | START                    |
//   +-----+--------------------------+
//   |   3 | 00000003000000030000004D |
//   +-----+--------------------------+
// REQUIRES: every row has one cell per column.
std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace walnut::wal
