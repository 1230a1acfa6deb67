#include "cli/text_table.h"

#include <algorithm>
#include <cctype>

namespace walnut {
namespace {

// UTF-8 characters in `text` (continuation bytes not counted), as utf8.RuneCountInString.
size_t Width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void Pad(std::string& out, const std::string& cell, size_t width, bool right) {
  const size_t fill = width > Width(cell) ? width - Width(cell) : 0;
  if (right) out.append(fill, ' ');
  out += cell;
  if (!right) out.append(fill, ' ');
}

std::vector<size_t> ColumnWidths(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  return widths;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::string TabbedTable(const std::vector<std::vector<std::string>>& rows) {
  const std::vector<size_t> widths = ColumnWidths(rows);
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 < row.size()) {
        Pad(out, row[i], widths[i] + 1, /*right=*/false);
      } else {
        out += row[i];
      }
    }
    out += '\n';
  }
  return out;
}

std::string AsciiTable(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  std::vector<std::vector<std::string>> all;
  std::vector<std::string> head{"#"};
  for (const auto& name : header) head.push_back(Upper(name));
  all.push_back(head);
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<std::string> row{std::to_string(r)};
    row.insert(row.end(), rows[r].begin(), rows[r].end());
    all.push_back(std::move(row));
  }
  const std::vector<size_t> widths = ColumnWidths(all);
  std::string separator = "+";
  for (size_t w : widths) separator += std::string(w + 2, '-') + "+";
  separator += '\n';
  std::string out = separator;
  for (size_t r = 0; r < all.size(); ++r) {
    out += '|';
    for (size_t i = 0; i < widths.size(); ++i) {
      out += ' ';
      // Row numbers are numbers: go-pretty aligns them right.
      Pad(out, i < all[r].size() ? all[r][i] : std::string(), widths[i], /*right=*/r > 0 && i == 0);
      out += " |";
    }
    out += '\n';
    if (r == 0) out += separator;
  }
  return out + separator;
}

}  // namespace walnut
