#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/test_util.h"

namespace walnut::testing {

// The user that runs PostgreSQL (and Walnut next to it) in tests: "postgres" when the tests run as
// root (initdb refuses root, and CI runs as root), else the current user.
std::string PgRunUser();
// `command` run by PgRunUser() through /bin/sh (unchanged when that is the current user).
std::string AsPgRunUser(const std::string& command);
// Hands `path` (recursively) to PgRunUser(), so that PostgreSQL and Walnut running as that user
// can read and write it. A no-op when not root.
void GrantToPgRunUser(const std::filesystem::path& path);

// `s` as a postgresql.conf string value: quoted, single quotes doubled.
std::string ConfQuote(const std::string& s);

// A row of pg_stat_archiver.
struct ArchiverStatus {
  int64_t archived_count = 0;
  int64_t failed_count = 0;
  std::string last_archived_wal;  // "" when nothing was archived yet
  std::string last_failed_wal;
};

// A throwaway PostgreSQL 15 cluster in a temporary directory, started with pg_ctl as
// PgRunUser(). It listens only on a Unix socket in its own directory, so clusters never compete
// for a port. Stopped (immediate) and removed on destruction.
class PgCluster {
 public:
  PgCluster();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // /usr/lib/postgresql/15/bin (PG_BINDIR overrides).
  static std::string BinDir();

  // initdb with data checksums (unless `data_checksums` is false) and trust authentication.
  void InitDb(bool data_checksums = true);
  // Appends `lines` ("archive_mode = on") to postgresql.auto.conf, which a base backup carries
  // along, so later lines win.
  void Configure(const std::vector<std::string>& lines);
  // Creates recovery.signal (archive recovery) or standby.signal.
  void SignalRecovery(bool standby = false);
  // pg_ctl start -w; on failure throws with the tail of the server log.
  void Start();
  // pg_ctl stop -m <mode>: "fast", "smart" or "immediate".
  void Stop(const std::string& mode = "fast");
  void Promote();
  bool running() const { return running_; }

  // psql -X -A -t -q with ON_ERROR_STOP; the statement comes on standard input.
  CommandResult Psql(const std::string& sql, const std::string& database = "postgres") const;
  // Psql that must succeed; its output without the trailing newline.
  std::string Query(const std::string& sql, const std::string& database = "postgres") const;
  // pgbench with these arguments (connection options added); must succeed.
  void Pgbench(const std::string& args, const std::string& database = "postgres") const;
  // pg_dumpall of the whole cluster (for comparing two clusters' data), without the random
  // \restrict keys of newer minor releases.
  std::string DumpAll() const;
  // Waits (up to `seconds`) until the server accepts queries and is out of recovery.
  void WaitForPromotion(int seconds = 60) const;

  // pg_switch_wal(); returns the name of the segment it completed (the current one when nothing
  // was written since the last switch).
  std::string SwitchWal() const;
  ArchiverStatus Archiver() const;
  // Waits (up to `seconds`) until `wal_name` and every segment before it were archived: the
  // archiver reported a file at or after it and no .ready marker at or before it is left. Throws
  // with the archiver's status and the server log's tail on timeout.
  void WaitForArchived(const std::string& wal_name, int seconds = 30) const;
  // The files the archiver reported done (pg_wal/archive_status/*.done, without ".done"), sorted.
  std::vector<std::string> ArchivedFiles() const;
  // pg_basebackup -D `target` (created by it, owned by PgRunUser()) with `options`, e.g. "-X none"
  // for a backup whose WAL must all come from the archive.
  void BaseBackup(const std::filesystem::path& target,
                  const std::string& options = "-X none") const;

  // Runs `command` as PgRunUser() with this cluster's PGHOST/PGPORT/PGUSER/PGDATABASE set.
  CommandResult Run(const std::string& command, const std::string& input = "") const;
  // "PGHOST=... PGPORT=... PGUSER=... PGDATABASE=postgres" for a shell command line.
  std::string ConnectionEnv() const;

  // The cluster's directory (owned by PgRunUser()); data_dir() is `dir()/data`.
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::filesystem::path socket_dir() const { return dir_.path(); }
  std::string ServerLog() const;

 private:
  void MustRun(const std::string& command, const std::string& what) const;

  TempDir dir_;
  bool running_ = false;
};

}  // namespace walnut::testing
