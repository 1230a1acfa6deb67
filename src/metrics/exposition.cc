#include "metrics/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "common/bytes.h"
#include "localfs/atomic_file_writer.h"

namespace walnut::metrics {
namespace {

bool IsNameStart(char c, bool colon_allowed) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
}

bool IsValidName(std::string_view name, bool colon_allowed) {
  if (name.empty() || !IsNameStart(name[0], colon_allowed)) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) {
    return IsNameStart(c, colon_allowed) || (c >= '0' && c <= '9');
  });
}

std::string_view TypeName(MetricType type) {
  return type == MetricType::kCounter ? "counter" : "gauge";
}

// Escapes backslash and line feed, and the double quote too in a label value (a help text keeps
// its quotes: the exposition format escapes them only between the quotes of a label).
std::string Escape(std::string_view text, bool in_label) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && in_label) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

bool SameLabels(const std::vector<Label>& a, const std::vector<Label>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& label : a) {
    auto it = std::find_if(b.begin(), b.end(), [&](const Label& l) { return l.name == label.name; });
    if (it == b.end() || it->value != label.value) return false;
  }
  return true;
}

}  // namespace

void Exposition::Add(std::string_view name, MetricType type, std::string_view help,
                     std::vector<Label> labels, double value) {
  if (!IsValidName(name, /*colon_allowed=*/true)) {
    throw std::logic_error(fmt::format("invalid metric name '{}'", name));
  }
  if (type == MetricType::kCounter && !name.ends_with("_total")) {
    throw std::logic_error(fmt::format("counter '{}' must end in _total", name));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto& label_name = labels[i].name;
    if (!IsValidName(label_name, /*colon_allowed=*/false) || label_name.starts_with("__")) {
      throw std::logic_error(fmt::format("invalid label name '{}' on '{}'", label_name, name));
    }
    for (size_t j = 0; j < i; ++j) {
      if (labels[j].name == label_name) {
        throw std::logic_error(fmt::format("label '{}' twice on '{}'", label_name, name));
      }
    }
  }
  auto family = std::find_if(families_.begin(), families_.end(),
                             [&](const Family& f) { return f.name == name; });
  if (family == families_.end()) {
    families_.push_back(Family{std::string(name), type, std::string(help), {}});
    family = std::prev(families_.end());
  } else if (family->type != type || family->help != help) {
    throw std::logic_error(fmt::format("metric '{}' declared twice with another type or help", name));
  }
  for (const auto& sample : family->samples) {
    if (SameLabels(sample.labels, labels)) {
      throw std::logic_error(fmt::format("metric '{}' has two samples with the same labels", name));
    }
  }
  family->samples.push_back(Sample{std::move(labels), value});
}

std::string Exposition::Text() const {
  std::string out;
  for (const auto& family : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name,
                       Escape(family.help, /*in_label=*/false), family.name, TypeName(family.type));
    for (const auto& sample : family.samples) {
      out += family.name;
      if (!sample.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < sample.labels.size(); ++i) {
          if (i > 0) out += ',';
          out += fmt::format("{}=\"{}\"", sample.labels[i].name,
                             Escape(sample.labels[i].value, /*in_label=*/true));
        }
        out += '}';
      }
      out += ' ';
      out += FormatValue(sample.value);
      out += '\n';
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Whole numbers up to 2^53 print exactly, without an exponent (timestamps, byte counts).
  if (value == std::trunc(value) && std::fabs(value) <= 9007199254740992.0) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void WriteTextfile(LocalFs& fs, const std::string& dir, std::string_view file_name,
                   std::string_view text) {
  if (file_name.find('/') != std::string_view::npos || !file_name.ends_with(".prom")) {
    throw std::logic_error(fmt::format("textfile name '{}' must be a file name ending in .prom",
                                       file_name));
  }
  std::string path = dir;
  if (path.empty() || path.back() != '/') path += '/';
  path += file_name;
  AtomicFileWriter::Options options;
  options.mode = 0644;
  auto writer = AtomicFileWriter::Create(fs, path, options);
  writer->Write(AsBytes(text));
  writer->Close();
}

}  // namespace walnut::metrics
