#include "storage/s3/credentials/ini_file.h"

#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace walnut::s3 {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A '#' or ';' that starts a comment: at the start, or after whitespace ("key = a#b" keeps '#').
std::string_view StripComment(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == '#' || line[i] == ';') &&
        (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])))) {
      return line.substr(0, i);
    }
  }
  return line;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void Fail(std::string_view path, int line, std::string_view problem) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{}:{}: {}; fix the file (see the AWS CLI's configuration files guide)",
                          path, line, problem));
}

}  // namespace

IniFile ParseIni(std::string_view text, std::string_view path) {
  IniFile file;
  IniSection* section = nullptr;
  std::string* last_value = nullptr;
  int number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = Trim(StripComment(raw));
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos) Fail(path, number, "a NUL byte");
    if (indented && last_value != nullptr && line.front() != '[') {
      // A continuation of the previous value (nested settings in the config file).
      *last_value += "\n";
      *last_value += line;
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']') Fail(path, number, "a section header without its closing ']'");
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (name.empty()) Fail(path, number, "an empty section name");
      section = &file[std::string(name)];
      last_value = nullptr;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      Fail(path, number, "expected '[section]' or 'key = value'");
    }
    std::string key = Lower(Trim(line.substr(0, eq)));
    if (key.empty()) Fail(path, number, "a value without a key");
    if (section == nullptr) Fail(path, number, "a key before the first '[section]'");
    std::string& value = (*section)[key];
    value = std::string(Trim(line.substr(eq + 1)));
    last_value = &value;
  }
  return file;
}

}  // namespace walnut::s3
