#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "localfs/local_fs.h"

namespace walnut::metrics {

// Prometheus' text exposition format (version 0.0.4), as node_exporter's textfile collector and a
// Prometheus scrape read it: one "# HELP" and one "# TYPE" line per family, then its samples.
//
// Every producer of a family (`walnut metrics`, `walnut drill --textfile`) must declare it with the
// same help text and type: node_exporter merges the files of one directory and refuses a family
// declared twice differently, and a sample seen twice with the same labels.

enum class MetricType { kGauge, kCounter };

struct Label {
  std::string name;
  std::string value;
};

class Exposition {
 public:
  // Adds one sample. The family is declared by its first sample; a later one with another type or
  // help, an invalid metric or label name, a counter name without "_total", or the same labels
  // twice in one family throws std::logic_error (a programming error, never input).
  void Add(std::string_view name, MetricType type, std::string_view help, std::vector<Label> labels,
           double value);
  void Gauge(std::string_view name, std::string_view help, std::vector<Label> labels, double value) {
    Add(name, MetricType::kGauge, help, std::move(labels), value);
  }

  // The families in the order they were first added, each followed by its samples, ending in a
  // newline. Empty when nothing was added.
  std::string Text() const;

  bool empty() const { return families_.empty(); }

 private:
  struct Sample {
    std::vector<Label> labels;
    double value;
  };
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<Sample> samples;
  };
  std::vector<Family> families_;
};

// A sample value as Prometheus writes it: integers without exponent or decimals ("1733580000"),
// other numbers in the shortest form that reads back the same, "NaN", "+Inf", "-Inf".
std::string FormatValue(double value);

// Writes `text` to DIR/FILE_NAME atomically (a hidden temporary file that node_exporter does not
// read, fsync, rename), readable by every user (0644: node_exporter runs as its own user). FILE_NAME
// must end in ".prom". Throws Error naming the file.
void WriteTextfile(LocalFs& fs, const std::string& dir, std::string_view file_name,
                   std::string_view text);

}  // namespace walnut::metrics
