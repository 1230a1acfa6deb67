#include "wal/wal_show_table.h"

#include <algorithm>

namespace walnut::wal {
namespace {

std::string Border(const std::vector<size_t>& widths) {
  std::string line = "+";
  for (size_t width : widths) line += std::string(width + 2, '-') + "+";
  return line + "\n";
}

std::string Row(const std::vector<TableColumn>& columns, const std::vector<size_t>& widths,
                const std::vector<std::string>& cells) {
  std::string line = "|";
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string pad(widths[i] - cells[i].size(), ' ');
    line += " ";
    line += columns[i].numeric ? pad + cells[i] : cells[i] + pad;
    line += " |";
  }
  return line + "\n";
}

}  // namespace

std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  std::vector<std::string> header;
  for (const auto& column : columns) {
    widths.push_back(column.header.size());
    header.push_back(column.header);
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string border = Border(widths);
  std::string out = border + Row(columns, widths, header) + border;
  for (const auto& row : rows) out += Row(columns, widths, row);
  if (!rows.empty()) out += border;
  return out;
}

}  // namespace walnut::wal
