#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "support/test_util.h"

namespace walnut::deploy_test {

// The repository's root, and the built walnut binary (unquoted: WalnutBinary() is quoted).
std::filesystem::path SourceDir();
std::string RawBinary();

// Runs `command` through /bin/sh; `out` holds standard output and standard error, in order.
testing::CommandResult Shell(const std::string& command);

using testing::ReadFile;
using testing::ShellQuote;
using testing::TempDir;
using testing::WalnutBinary;
using testing::WriteFile;

// The metric names of the contract (deploy/metrics.txt).
std::set<std::string> ContractMetricNames();

// The metric names a PromQL expression reads: identifiers that are not functions, keywords,
// label names (inside {...}, by/without/on/ignoring/group_left/group_right (...)), durations,
// strings or Grafana variables ($storage, $__rate_interval).
std::set<std::string> MetricNamesIn(const std::string& promql);

// Every PromQL expression of the dashboard: the panels' targets (rows included) and the query
// variables.
std::vector<std::string> DashboardExpressions(const std::filesystem::path& dashboard);

}  // namespace walnut::deploy_test
