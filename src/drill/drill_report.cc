#include "drill/drill_report.h"

#include <cmath>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/rfc3339.h"
#include "common/bytes.h"
#include "common/host_name.h"
#include "localfs/atomic_file_writer.h"
#include "metrics/families.h"
#include "metrics/exposition.h"
#include "pipeline/stored_document.h"

namespace walnut::drill {
namespace {

double EpochSeconds(Timestamp t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

nlohmann::json Optional(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

double Rate(const PhaseStats& phase) {
  return phase.seconds > 0 ? static_cast<double>(phase.bytes) / phase.seconds : 0.0;
}

double DurationSeconds(const DrillResult& result) {
  return std::chrono::duration<double>(result.finished_at - result.started_at).count();
}

}  // namespace

std::string ReportJson(const DrillResult& result, const ReportOrigin& origin) {
  nlohmann::ordered_json doc;
  doc["version"] = 1;
  doc["kind"] = "drill";
  doc["started_at"] = FormatRfc3339Nano(result.started_at);
  doc["finished_at"] = FormatRfc3339Nano(result.finished_at);
  doc["success"] = result.success;
  doc["host"] = origin.host.empty() ? HostName() : origin.host;
  doc["walnut_version"] = origin.walnut_version;
  doc["errors"] = result.errors;
  doc["backup_name"] = result.backup_name;
  doc["backup_age_seconds"] = Optional(result.backup_age_seconds);
  doc["pg_major"] = result.pg_major;
  doc["rto_seconds"] = Optional(result.rto_seconds);
  doc["rpo_seconds"] = Optional(result.rpo_seconds);
  nlohmann::ordered_json target;
  target["kind"] = TargetKindName(result.target.kind);
  target["value"] = result.target.value.empty() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(result.target.value);
  doc["target"] = target;
  doc["recovered_to"] = result.recovered_to.empty() ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json(result.recovered_to);
  nlohmann::ordered_json phases = nlohmann::ordered_json::object();
  nlohmann::ordered_json durations = nlohmann::ordered_json::object();
  for (const auto& [name, phase] : result.phases) {
    phases[name] = {
        {"seconds", phase.seconds}, {"bytes", phase.bytes}, {"bytes_per_second", Rate(phase)}};
    durations[name] = phase.seconds;
  }
  doc["phases"] = phases;
  nlohmann::ordered_json checks = nlohmann::ordered_json::object();
  for (const auto& [name, check] : result.checks) {
    checks[name] = {{"ok", check.ok}, {"detail", check.detail}};
  }
  doc["checks"] = checks;
  // The fields tools/drill.sh has always written.
  doc["restored_bytes"] = result.restored_bytes;
  doc["wal_files_fetched"] = result.wal_files_fetched;
  doc["durations_seconds"] = durations;
  doc["total_seconds"] = DurationSeconds(result);
  doc["scratch_dir"] = result.scratch_dir.empty() ? nlohmann::ordered_json(nullptr)
                                                  : nlohmann::ordered_json(result.scratch_dir);
  return doc.dump(2) + "\n";
}

std::string MetricsText(const DrillResult& result, const std::string& storage_label) {
  metrics::Exposition out;
  auto add = [&](const metrics::MetricSpec& family, double value) {
    metrics::AddSample(out, family, {{"storage", storage_label}, {"source", "drill"}}, value);
  };
  add(metrics::kDrillLastRun, EpochSeconds(result.finished_at));
  add(metrics::kDrillLastSuccess, result.success ? 1 : 0);
  if (result.success) add(metrics::kDrillLastSuccessTime, EpochSeconds(result.finished_at));
  if (result.rto_seconds) add(metrics::kDrillLastRto, *result.rto_seconds);
  if (result.rpo_seconds) add(metrics::kDrillLastRpo, *result.rpo_seconds);
  if (result.backup_age_seconds) add(metrics::kDrillLastBackupAge, *result.backup_age_seconds);
  add(metrics::kDrillLastDuration, DurationSeconds(result));
  return out.Text();
}

std::vector<std::string> PublishReport(const DrillResult& result, const ReportOrigin& origin,
                                       const Folder& root, LocalFs& fs,
                                       const ReportOutputs& outputs) {
  std::vector<std::string> failures;
  const std::string json = ReportJson(result, origin);
  try {
    PutDocument(root, kStoredReportKey, json);
  } catch (const std::exception& e) {
    failures.push_back(fmt::format("cannot store the report {}: {}", kStoredReportKey, e.what()));
  }
  if (!outputs.report_file.empty()) {
    try {
      AtomicFileWriter::Options options;
      options.mode = 0644;
      auto writer = AtomicFileWriter::Create(fs, outputs.report_file, options);
      writer->Write(AsBytes(json));
      writer->Close();
    } catch (const std::exception& e) {
      failures.push_back(fmt::format("cannot write --report: {}", e.what()));
    }
  }
  if (!outputs.textfile_dir.empty()) {
    try {
      metrics::WriteTextfile(fs, outputs.textfile_dir, "walnut_drill.prom",
                             MetricsText(result, outputs.storage_label));
    } catch (const std::exception& e) {
      failures.push_back(fmt::format("cannot write --textfile: {}", e.what()));
    }
  }
  return failures;
}

std::string Summary(const DrillResult& result) {
  std::string out = fmt::format("drill of backup {}: {}\n",
                                result.backup_name.empty() ? "(none)" : result.backup_name,
                                result.success ? "PASSED" : "FAILED");
  if (result.backup_age_seconds) {
    out += fmt::format("  backup age:  {:.0f} s (PostgreSQL {})\n", *result.backup_age_seconds,
                       result.pg_major);
  }
  out += fmt::format("  target:      {}{}\n", TargetKindName(result.target.kind),
                     result.target.value.empty() ? "" : " " + result.target.value);
  if (!result.recovered_to.empty()) {
    out += fmt::format("  recovered:   to the transaction of {} ({} WAL files fetched)\n",
                       result.recovered_to, result.wal_files_fetched);
  }
  for (const auto& [name, phase] : result.phases) {
    out += fmt::format("  {:<12} {:.1f} s, {:.1f} MB ({:.1f} MB/s)\n", name + ":", phase.seconds,
                       static_cast<double>(phase.bytes) / 1e6, Rate(phase) / 1e6);
  }
  for (const auto& [name, check] : result.checks) {
    out += fmt::format("  check {:<10} {}: {}\n", name, check.ok ? "ok" : "FAILED", check.detail);
  }
  if (result.rto_seconds) out += fmt::format("  RTO:         {:.1f} s\n", *result.rto_seconds);
  if (result.rpo_seconds) out += fmt::format("  RPO:         {:.3f} s\n", *result.rpo_seconds);
  for (const auto& error : result.errors) out += fmt::format("  error:       {}\n", error);
  return out;
}

}  // namespace walnut::drill
