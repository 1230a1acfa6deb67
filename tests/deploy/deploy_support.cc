#include "deploy/deploy_support.h"

#include <cctype>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "support/test_config.h"

namespace walnut::deploy_test {

std::filesystem::path SourceDir() { return WALNUT_TEST_SOURCE_DIR; }

std::string RawBinary() {
  const char* env = std::getenv("WALNUT_BINARY");
  return env != nullptr && *env != '\0' ? env : WALNUT_TEST_BINARY;
}

testing::CommandResult Shell(const std::string& command) {
  return testing::RunCommand("( " + command + " ) 2>&1");
}

std::set<std::string> ContractMetricNames() {
  std::set<std::string> names;
  std::istringstream in(ReadFile(SourceDir() / "deploy/metrics.txt"));
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) names.insert(line);
  }
  return names;
}

namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsIdent(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Returns the index just past the bracket that closes the one at `open`.
size_t SkipBracket(const std::string& text, size_t open, char open_char, char close_char) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      continue;
    }
    if (text[i] == open_char) ++depth;
    if (text[i] == close_char && --depth == 0) return i + 1;
  }
  return text.size();
}

}  // namespace

std::set<std::string> MetricNamesIn(const std::string& promql) {
  static const std::set<std::string> kKeywords = {
      "by",     "without",    "on",          "ignoring", "bool", "and", "or", "unless",
      "offset", "group_left", "group_right", "inf",      "nan",  "Inf", "NaN"};
  static const std::set<std::string> kLabelLists = {"by",       "without",    "on",
                                                    "ignoring", "group_left", "group_right"};
  std::set<std::string> names;
  size_t i = 0;
  while (i < promql.size()) {
    char c = promql[i];
    if (c == '"' || c == '\'') {
      size_t j = i + 1;
      while (j < promql.size() && promql[j] != c) j += promql[j] == '\\' ? 2 : 1;
      i = j + 1;
    } else if (c == '{') {
      i = SkipBracket(promql, i, '{', '}');
    } else if (c == '[') {
      i = SkipBracket(promql, i, '[', ']');
    } else if (c == '$') {
      ++i;
      while (i < promql.size() && IsIdent(promql[i])) ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (i < promql.size() && (IsIdent(promql[i]) || promql[i] == '.')) ++i;  // 1e3, 5m
    } else if (IsIdentStart(c)) {
      size_t j = i;
      while (j < promql.size() && IsIdent(promql[j])) ++j;
      std::string word = promql.substr(i, j - i);
      size_t k = j;
      while (k < promql.size() && std::isspace(static_cast<unsigned char>(promql[k]))) ++k;
      bool call = k < promql.size() && promql[k] == '(';
      // An aggregation with its grouping first: max by (storage) (...), sum without (type) (...).
      for (const char* grouping : {"by", "without"}) {
        std::string_view rest(promql.data() + k, promql.size() - k);
        size_t n = std::string_view(grouping).size();
        if (rest.starts_with(grouping) && (rest.size() == n || !IsIdent(rest[n]))) call = true;
      }
      if (kLabelLists.count(word) != 0 && call) {
        i = SkipBracket(promql, k, '(', ')');
        continue;
      }
      if (!call && kKeywords.count(word) == 0) names.insert(word);
      i = j;
    } else {
      ++i;
    }
  }
  return names;
}

std::vector<std::string> DashboardExpressions(const std::filesystem::path& dashboard) {
  nlohmann::json doc = nlohmann::json::parse(ReadFile(dashboard));
  std::vector<std::string> exprs;
  auto add_panels = [&](const nlohmann::json& panels, auto& self) -> void {
    for (const auto& panel : panels) {
      if (panel.contains("targets")) {
        for (const auto& target : panel["targets"])
          exprs.push_back(target.at("expr").get<std::string>());
      }
      if (panel.contains("panels")) self(panel["panels"], self);
    }
  };
  add_panels(doc.at("panels"), add_panels);
  for (const auto& variable : doc.at("templating").at("list")) {
    if (variable.value("type", "") != "query") continue;
    const auto& query = variable.at("query");
    std::string text =
        query.is_string() ? query.get<std::string>() : query.at("query").get<std::string>();
    // label_values(METRIC, LABEL): the metric is what matters.
    if (text.starts_with("label_values(")) {
      text = text.substr(13, text.find(',') - 13);
    }
    exprs.push_back(text);
  }
  return exprs;
}

}  // namespace walnut::deploy_test
