#include "observe/cluster_check.h"

#include <cmath>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "backup/backup_catalog.h"
#include "common/rfc3339.h"
#include "common/error.h"
#include "observe/archive_metrics.h"
#include "observe/storage_probe.h"
#include "postgres/archive_settings.h"
#include "postgres/pg_connection.h"
#include "wal/archive_identity.h"
#include "wal/wal_catalog.h"

namespace walnut::observe {
namespace {

constexpr int kConnectTimeoutSeconds = 10;

class Reporter {
 public:
  explicit Reporter(const ClusterCheckOptions& options) : options_(options) {}
  void Ok(std::string name, std::string detail) { Emit({std::move(name), true, std::move(detail)}); }
  void Failed(std::string name, std::string detail) {
    ++failures_;
    Emit({std::move(name), false, std::move(detail)});
  }
  bool all_ok() const { return failures_ == 0; }
  int failures() const { return failures_; }

 private:
  void Emit(const CheckResult& r) {
    if (options_.report) options_.report(r);
  }
  const ClusterCheckOptions& options_;
  int failures_ = 0;
};

std::string FirstLine(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

void CheckStorage(const Folder& root, Reporter& out) {
  try {
    ProbeStorageWrite(root);
    out.Ok("storage", fmt::format("{} can be written, read back and deleted",
                                  BackupCatalog(root).Describe()));
  } catch (const Error& e) {
    out.Failed("storage", fmt::format("{}; check the storage settings and permissions",
                                      FirstLine(e.what())));
  }
}

void CheckArchiveSettings(const pg::ArchiveSettings& s, Reporter& out) {
  if (!s.mode) {
    out.Failed("archive_mode",
               "cannot be read by this role; connect as a superuser or a member of "
               "pg_read_all_settings");
  } else if (*s.mode == "on" || *s.mode == "always") {
    out.Ok("archive_mode", *s.mode);
  } else {
    out.Failed("archive_mode", fmt::format("is '{}'; set archive_mode = on in postgresql.conf "
                                           "and restart PostgreSQL",
                                           *s.mode));
  }
  if (s.library && !s.library->empty()) {
    if (*s.library == "walnut_archive") {
      out.Ok("archive_command", "archive_library is 'walnut_archive'");
    } else {
      out.Failed("archive_command",
                 fmt::format("archive_library is '{}', which is not Walnut's; set "
                             "archive_library = '' and archive_command = 'walnut wal-push %p'",
                             *s.library));
    }
    return;
  }
  if (!s.command) {
    out.Failed("archive_command",
               "cannot be read by this role; connect as a superuser or a member of "
               "pg_read_all_settings");
  } else if (CallsWalPush(*s.command)) {
    out.Ok("archive_command", fmt::format("'{}'", *s.command));
  } else {
    out.Failed("archive_command",
               fmt::format("'{}' does not call wal-push of walnut or wal-g; set archive_command "
                           "= 'walnut wal-push %p' and reload PostgreSQL",
                           *s.command));
  }
}

// Writes a little WAL (a restore point, as pgBackRest does) so that the switch closes a segment
// holding something, switches, and returns the name of the segment the switch completed.
std::string SwitchWal(pg::PgConnection& conn) {
  try {
    conn.Query("SELECT pg_create_restore_point('walnut check')");
  } catch (const Error&) {
    // A role without the privilege: the switch still completes a segment when WAL was written
    // since the last one, and names the previous one otherwise.
  }
  return conn.QueryValue("SELECT pg_walfile_name(pg_switch_wal())");
}

void WaitForSegment(const Folder& root, const std::string& segment,
                    const ClusterCheckOptions& options, Reporter& out) {
  const Folder wal = root.Sub(wal::kWalFolder);
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + options.timeout;
  for (;;) {
    try {
      if (auto found = FindCompressedObject(wal, segment, options.compression)) {
        const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
        out.Ok("wal archived",
               fmt::format("{} reached {} in {:.1f} s", segment, wal.Key(*found), took.count()));
        return;
      }
    } catch (const Error& e) {
      out.Failed("wal archived", fmt::format("cannot look for {} in {}: {}", segment,
                                             wal.Key(""), FirstLine(e.what())));
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  out.Failed("wal archived",
             fmt::format("{} did not reach {} within {} s; check archive_command and the "
                         "server log (or raise --timeout)",
                         segment, wal.Key(""),
                         std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count()));
}

void CheckIdentity(const Folder& root, pg::PgConnection& conn, Reporter& out) {
  const std::string object = root.Key(std::string(kArchiveIdentityObject));
  try {
    const uint64_t ours = std::stoull(
        conn.QueryValue("SELECT system_identifier::text FROM pg_control_system()"));
    std::optional<std::string> record = ReadArchiveIdentityRecord(root);
    if (!record) {
      out.Ok("system identifier",
             fmt::format("{} has no record yet (wal-push of Walnut writes it); this cluster is {}",
                         object, ours));
      return;
    }
    ArchiveIdentity id = ArchiveIdentityFromJson(*record, object);
    if (id.system_identifier == ours) {
      out.Ok("system identifier", fmt::format("{} (recorded in {})", ours, object));
    } else {
      out.Failed("system identifier",
                 fmt::format("the archive belongs to database system {} ({}), this cluster is "
                             "{}; point this cluster at a storage of its own "
                             "(WALG_*_PREFIX)",
                             id.system_identifier, object, ours));
    }
  } catch (const std::exception& e) {
    out.Failed("system identifier", FirstLine(e.what()));
  }
}

void CheckArchiver(Reporter& out) {
  std::string why;
  std::optional<ArchiverStatus> s = ProbeArchiver(kConnectTimeoutSeconds, &why);
  if (!s) {
    out.Failed("archiver", fmt::format("cannot read pg_stat_archiver: {}", FirstLine(why)));
    return;
  }
  const bool failed_since = s->last_failed_time &&
                            (!s->last_archived_time || *s->last_failed_time > *s->last_archived_time);
  if (failed_since) {
    const Timestamp when(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(std::floor(*s->last_failed_time))));
    out.Failed("archiver",
               fmt::format("pg_stat_archiver: archiving {} failed at {} after the last success; "
                           "see the server log for archive_command's error",
                           s->last_failed_wal.value_or("?"), FormatRfc3339(when)));
    return;
  }
  out.Ok("archiver", fmt::format("{} archived, {} failed, no failure since the last success",
                                 s->archived_count, s->failed_count));
}

}  // namespace

bool CallsWalPush(std::string_view command) {
  // The program (any path, possibly quoted or after env assignments) named walnut or wal-g,
  // followed somewhere by the word wal-push.
  static const std::regex kPattern(
      R"((^|[\s/'"])(walnut|wal-g)['"]?\s(.*\s)?wal-push(\s|$|['"]))");
  return std::regex_search(command.begin(), command.end(), kPattern);
}

bool CheckCluster(const Folder& root, const ClusterCheckOptions& options) {
  Reporter out(options);
  std::optional<pg::PgConnection> conn;
  try {
    conn.emplace(fmt::format("connect_timeout={}", kConnectTimeoutSeconds));
    out.Ok("connection", fmt::format("PostgreSQL {}", conn->server_version()));
  } catch (const Error& e) {
    out.Failed("connection", fmt::format("{}; set PGHOST, PGPORT, PGUSER (and PGPASSWORD)",
                                         FirstLine(e.what())));
  }
  bool archiving = false;
  bool standby = false;
  if (conn) {
    try {
      pg::ArchiveSettings s = pg::ReadArchiveSettings(*conn);
      standby = s.in_recovery;
      const int failures = out.failures();
      CheckArchiveSettings(s, out);
      archiving = out.failures() == failures;
    } catch (const Error& e) {
      out.Failed("archive_mode", FirstLine(e.what()));
    }
  }
  CheckStorage(root, out);
  if (!conn) return false;
  if (standby) {
    out.Failed("wal archived", "the server is a standby (pg_is_in_recovery); WAL cannot be "
                               "switched there: run walnut check on the primary");
  } else if (archiving) {
    try {
      WaitForSegment(root, SwitchWal(*conn), options, out);
    } catch (const Error& e) {
      out.Failed("wal archived", fmt::format("pg_switch_wal failed: {}", FirstLine(e.what())));
    }
  }
  CheckIdentity(root, *conn, out);
  CheckArchiver(out);
  return out.all_ok();
}

}  // namespace walnut::observe
