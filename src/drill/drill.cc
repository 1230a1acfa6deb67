#include "drill/drill.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>

#include "backup/backup_fetch.h"
#include "common/error.h"
#include "common/excerpt.h"
#include "common/shell_quote.h"
#include "common/logging.h"
#include "drill/child_process.h"
#include "drill/scratch_area.h"

namespace walnut::drill {

std::string_view TargetKindName(RecoveryTarget::Kind kind) {
  switch (kind) {
    case RecoveryTarget::Kind::kTime:
      return "time";
    case RecoveryTarget::Kind::kLsn:
      return "lsn";
    case RecoveryTarget::Kind::kEnd:
      break;
  }
  return "end";
}

namespace {

using Clock = std::chrono::steady_clock;

// PostgreSQL's own line for a target recovery never reached (PostgreSQL 13 and later).
constexpr std::string_view kTargetNotReached =
    "recovery ended before configured recovery target was reached";
constexpr int kPort = 5432;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// `s` as an SQL string literal.
std::string SqlQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// `s` as a libpq connection-string value.
std::string ConninfoQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// The last non-empty line of a tool's output, for an error line.
std::string LastLine(const std::string& output) {
  size_t end = output.find_last_not_of("\n\r ");
  if (end == std::string::npos) return "(no output)";
  size_t start = output.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return Excerpt(output.substr(start, end + 1 - start), 300);
}

// "" when the file at `got_path` equals the one at `expected_path`, else where they first differ:
// "line N: expected 'X', got 'Y'". Both are read side by side, a line at a time.
std::string CompareOutput(LocalFs& fs, const std::string& got_path,
                          const std::string& expected_path) {
  LineReader got(fs, got_path, "the output of --sql");
  LineReader expected(fs, expected_path, "--expect");
  std::string got_line;
  std::string expected_line;
  for (uint64_t n = 1;; ++n) {
    bool has_got = got.Next(got_line);
    bool has_expected = expected.Next(expected_line);
    if (!has_got && !has_expected) return "";
    if (!has_got) {
      return fmt::format("line {}: expected '{}', got the end of the output", n,
                         Excerpt(expected_line, 200));
    }
    if (!has_expected) {
      return fmt::format("line {}: expected the end of the output, got '{}'", n,
                         Excerpt(got_line, 200));
    }
    if (got_line != expected_line) {
      return fmt::format("line {}: expected '{}', got '{}'", n, Excerpt(expected_line, 200),
                         Excerpt(got_line, 200));
    }
  }
}

class Drill {
 public:
  Drill(const BackupCatalog& catalog, const PipelineOptions& pipeline, const DrillOptions& options,
        DrillResult& result)
      : catalog_(catalog),
        pipeline_(pipeline),
        options_(options),
        fs_(options.fs),
        result_(result) {
    start_ = Clock::now();
    deadline_ = start_ + options.timeout;
  }

  // Resolves the backup and the tools and prepares the scratch area; throws for bad input.
  void Prepare();
  // The drill itself; throws the first failure that stops it (a failed check does not).
  void Run();
  // Stops PostgreSQL (immediate) if it still runs and removes the scratch area unless --keep.
  void Cleanup();

 private:
  // A signal came or --timeout passed (thread-safe: the fetch's download threads poll it).
  bool Stopping() const;
  // Throws kCancelled naming `during` when Stopping().
  void CheckStop(std::string_view during) const;
  void Fetch();
  void ConfigureRecovery();
  void StartPostgres();
  void WaitForPromotion();
  void InspectRecovery();
  void RunChecks();
  void StopPostgres();
  void CheckChecksums();
  void AddCheck(const std::string& name, bool ok, std::string detail);

  std::vector<std::string> ChildEnvironment() const;
  ProcessResult RunTool(std::vector<std::string> argv, int stdin_fd = -1, int stdout_fd = -1,
                        std::chrono::seconds limit = std::chrono::seconds(0)) const;
  // psql -X -A -t -q -v ON_ERROR_STOP=1 -c SQL; throws naming `what` when it fails.
  std::string Query(const std::string& sql, const std::string& what,
                    const std::string& database = "postgres") const;
  std::string Path(std::string_view name) const { return scratch_ + "/" + std::string(name); }
  std::string Bin(std::string_view tool) const { return bin_dir_ + "/" + std::string(tool); }
  void GiveToOsUser(const std::string& path) const;
  // The first line of the server log holding `needle`, "" when none.
  std::string FindLogLine(std::string_view needle) const;
  std::string ServerFailure() const;

  const BackupCatalog& catalog_;
  const PipelineOptions& pipeline_;
  const DrillOptions& options_;
  LocalFs& fs_;
  DrillResult& result_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  BackupSentinel sentinel_;
  OsUser user_;
  std::string bin_dir_;
  std::string scratch_;
  std::unique_ptr<ChildProcess> postmaster_;
  bool checksums_enabled_ = false;
};

bool Drill::Stopping() const {
  return (options_.stop != nullptr && options_.stop->load()) || Clock::now() >= deadline_;
}

void Drill::CheckStop(std::string_view during) const {
  if (options_.stop != nullptr && options_.stop->load()) {
    throw Error(ErrorCode::kCancelled,
                fmt::format("drill interrupted by a signal during {}", during));
  }
  if (Clock::now() >= deadline_) {
    throw Error(ErrorCode::kCancelled,
                fmt::format("drill stopped during {}: it took longer than --timeout {}s", during,
                            options_.timeout.count()));
  }
}

void Drill::Prepare() {
  scratch_ = PrepareScratchDir(fs_, options_.dir);
  result_.scratch_dir = scratch_;
  if (options_.pick_random) {
    std::vector<BackupListEntry> backups = catalog_.List();
    if (backups.empty())
      throw Error(ErrorCode::kNotFound, "no backups found to drill; run backup-push");
    std::random_device random;
    result_.backup_name = backups[random() % backups.size()].name;
  } else {
    result_.backup_name = catalog_.Resolve(options_.backup_name).name;
  }
  sentinel_ = catalog_.LoadSentinel(result_.backup_name);
  Timestamp taken =
      sentinel_.finish_time != kGoZeroTime ? sentinel_.finish_time : sentinel_.start_time;
  if (taken != kGoZeroTime) {
    result_.backup_age_seconds = std::chrono::duration<double>(result_.started_at - taken).count();
  }
  if (sentinel_.pg_version < 100000) {
    throw Error(
        ErrorCode::kUnsupported,
        fmt::format("backup {} is of PostgreSQL {} (server_version_num {}); the drill needs "
                    "PostgreSQL 12 or later",
                    result_.backup_name, sentinel_.pg_version / 100, sentinel_.pg_version));
  }
  result_.pg_major = sentinel_.pg_version / 10000;
  bin_dir_ = fmt::format("{}/{}/bin", options_.pg_root, result_.pg_major);
  for (const char* tool : {"postgres", "psql", "pg_amcheck", "pg_checksums"}) {
    FileStat stat;
    if (fs_.Stat(Bin(tool), stat, true) != 0) {
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("backup {} is of PostgreSQL {}, but {} is not installed; install "
                              "postgresql-{} to drill it",
                              result_.backup_name, result_.pg_major, Bin(tool), result_.pg_major));
    }
  }
  for (const auto& [flag, path] :
       {std::pair<const char*, const std::string&>{"--sql", options_.sql_file},
        {"--expect", options_.expect_file}}) {
    FileStat stat;
    int err = path.empty() ? 0 : fs_.Stat(path, stat, true);
    if (err != 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{} {}: {}; give a readable file", flag, path, std::strerror(err)));
    }
  }
  user_ = LookUpOsUser(options_.os_user);
  GiveToOsUser(scratch_);
}

void Drill::GiveToOsUser(const std::string& path) const {
  if (!user_.switch_to) return;
  // As chown -R: every entry itself, never what a symlink (a tablespace's) points to.
  WalkTree(fs_, path, [&](const std::string& entry, const FileStat&) {
    int err = fs_.SetOwner(entry, user_.uid, user_.gid);
    if (err != 0) {
      ThrowSystemError(fmt::format("give --os-user {} ownership of", user_.name), entry, err);
    }
  });
}

void Drill::Run() {
  CheckStop("the backup's restore");
  Fetch();
  CheckStop("the backup's restore");
  ConfigureRecovery();
  StartPostgres();
  WaitForPromotion();
  InspectRecovery();
  RunChecks();
  StopPostgres();
  CheckChecksums();
  result_.rto_seconds = SecondsSince(start_);
}

void Drill::Fetch() {
  auto phase_start = Clock::now();
  BackupFetchOptions fetch{.fs = fs_};
  fetch.target_dir = Path("data");
  fetch.backup_name = result_.backup_name;
  fetch.fsync = options_.fsync;
  fetch.download_concurrency = options_.download_concurrency;
  fetch.download_file_retries = options_.download_file_retries;
  fetch.stop_requested = [this] { return Stopping(); };
  spdlog::info("drill: restoring backup {} into {}", result_.backup_name, fetch.target_dir);
  BackupFetchResult fetched;
  try {
    fetched = FetchBackup(catalog_, pipeline_, fetch);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kCancelled) CheckStop("the backup's restore");
    throw;
  }
  result_.restored_bytes = fetched.bytes;
  result_.phases.push_back({"fetch", {SecondsSince(phase_start), fetched.bytes}});
}

void Drill::ConfigureRecovery() {
  const std::string data = Path("data");
  // A backup of a standby may carry its signal file; this is an archive recovery.
  for (const char* stale : {"standby.signal", "postmaster.pid", "postmaster.opts"}) {
    int err = fs_.Unlink(data + "/" + stale);
    if (err != 0 && err != ENOENT) ThrowSystemError("remove", data + "/" + stale, err);
  }
  WriteNewFile(fs_, data + "/recovery.signal", "", 0600);
  // Debian keeps postgresql.conf in /etc: the server needs one in its data directory.
  FileStat stat;
  if (fs_.Stat(data + "/postgresql.conf", stat, true) == ENOENT) {
    WriteNewFile(fs_, data + "/postgresql.conf", "# written by walnut drill\n", 0600);
  }
  // Our own authentication: local connections of any role, nothing else.
  WriteNewFile(fs_, Path("pg_hba.conf"), "local all all trust\n", 0600);
  WriteNewFile(fs_, Path("pg_ident.conf"), "", 0600);
  WriteNewFile(fs_, Path("walnut.json"), options_.settings_json, 0600);
  if (fs_.MakeDirectory(Path("socket"), 0700) != 0) ThrowSystemError("create", Path("socket"));
  GiveToOsUser(scratch_);
  int err = fs_.SetMode(data, 0700);
  if (err != 0) ThrowSystemError("set the mode of", data, err);
}

std::vector<std::string> Drill::ChildEnvironment() const {
  return {"PATH=/usr/bin:/bin",
          "HOME=" + scratch_,
          "LC_ALL=C",
          "PGHOST=" + Path("socket"),
          fmt::format("PGPORT={}", kPort),
          "PGUSER=" + options_.db_user,
          "PGDATABASE=postgres",
          "PGAPPNAME=walnut-drill",
          "PGCONNECT_TIMEOUT=10"};
}

void Drill::StartPostgres() {
  std::string restore_command =
      fmt::format("{} --config {} wal-fetch %f %p", ShellQuote(options_.walnut_binary),
                  ShellQuote(Path("walnut.json")));
  std::vector<std::string> argv = {Bin("postgres"), "-D", Path("data")};
  auto set = [&](const std::string& name, const std::string& value) {
    argv.push_back("-c");
    argv.push_back(name + "=" + value);
  };
  set("listen_addresses", "");
  set("unix_socket_directories", Path("socket"));
  set("port", std::to_string(kPort));
  set("hba_file", Path("pg_hba.conf"));
  set("ident_file", Path("pg_ident.conf"));
  set("ssl", "off");
  set("archive_mode", "off");
  set("primary_conninfo", "");
  set("primary_slot_name", "");
  set("hot_standby", "on");
  set("logging_collector", "off");
  set("log_destination", "stderr");
  set("cluster_name", "walnut-drill");
  set("restore_command", restore_command);
  set("recovery_target_action", "promote");
  if (options_.target.kind == RecoveryTarget::Kind::kTime) {
    set("recovery_target_time", options_.target.value);
  } else if (options_.target.kind == RecoveryTarget::Kind::kLsn) {
    set("recovery_target_lsn", options_.target.value);
  }
  LocalFile log;
  int err = fs_.Open(Path("postgres.log"), O_WRONLY | O_CREAT | O_APPEND, 0600, log);
  if (err != 0) ThrowSystemError("create", Path("postgres.log"), err);
  GiveToOsUser(Path("postgres.log"));
  ProcessSpec spec{.argv = argv, .environment = ChildEnvironment(), .user = &user_};
  spec.stdout_fd = log.fd();
  spec.die_with_parent = true;
  spdlog::info("drill: starting PostgreSQL {} on {} (recovery target: {}{})", result_.pg_major,
               Path("socket"), TargetKindName(options_.target.kind),
               options_.target.value.empty() ? "" : " " + options_.target.value);
  postmaster_ = std::make_unique<ChildProcess>(spec);
}

std::string Drill::FindLogLine(std::string_view needle) const {
  std::string found;
  ForEachLine(fs_, Path("postgres.log"), [&](std::string_view line) {
    if (found.empty() && line.find(needle) != std::string_view::npos) found = line;
  });
  return found;
}

std::string Drill::ServerFailure() const {
  std::string line = FindLogLine("FATAL:");
  if (line.empty()) line = FindLogLine("PANIC:");
  return line.empty() ? fmt::format("see {}", Path("postgres.log")) : Excerpt(line, 300);
}

void Drill::WaitForPromotion() {
  auto phase_start = Clock::now();
  for (;;) {
    CheckStop("recovery");
    if (postmaster_->Exited()) {
      if (!FindLogLine(kTargetNotReached).empty()) {
        throw Error(ErrorCode::kFailedPrecondition,
                    fmt::format("recovery ended before the target {} {} was reached: the archive "
                                "holds no WAL up to it",
                                TargetKindName(options_.target.kind), options_.target.value));
      }
      throw Error(ErrorCode::kFailedPrecondition,
                  fmt::format("PostgreSQL stopped during recovery (exit status {}): {}",
                              postmaster_->exit_code(), ServerFailure()));
    }
    ProcessResult r =
        RunTool({Bin("psql"), "-X", "-A", "-t", "-q", "-c", "SELECT pg_is_in_recovery()"}, -1, -1,
                std::chrono::seconds(30));
    if (r.exit_code == 0 && r.output.starts_with("f")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  uint64_t fetched = 0;
  ForEachLine(fs_, Path("postgres.log"), [&](std::string_view line) {
    if (line.find("restored log file") != std::string_view::npos) ++fetched;
  });
  result_.wal_files_fetched = fetched;
  uint64_t segment = 16 << 20;
  try {
    segment = std::stoull(Query("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'",
                                "the WAL segment size"));
  } catch (const std::exception&) {
  }
  result_.phases.push_back({"recovery", {SecondsSince(phase_start), fetched * segment}});
}

void Drill::InspectRecovery() {
  result_.recovered_to = Query(
      "SELECT coalesce(to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '')",
      "the last replayed transaction");
  if (options_.target.kind == RecoveryTarget::Kind::kTime && !result_.recovered_to.empty()) {
    std::string rpo = Query(fmt::format("SELECT extract(epoch FROM {}::timestamptz - "
                                        "pg_last_xact_replay_timestamp())",
                                        SqlQuote(options_.target.value)),
                            "the recovery point");
    try {
      result_.rpo_seconds = std::stod(rpo);
    } catch (const std::exception&) {
    }
  }
  checksums_enabled_ = Query("SHOW data_checksums", "data_checksums") == "on";
}

void Drill::AddCheck(const std::string& name, bool ok, std::string detail) {
  if (!ok) result_.errors.push_back(fmt::format("check {} failed: {}", name, detail));
  result_.checks.push_back({name, {ok, std::move(detail)}});
}

void Drill::RunChecks() {
  auto phase_start = Clock::now();
  uint64_t bytes = 0;
  try {
    bytes = std::stoull(Query("SELECT sum(pg_database_size(oid)) FROM pg_database", "sizes"));
  } catch (const std::invalid_argument&) {
  }
  CheckStop("the checks");
  {
    ProcessResult r = RunTool({Bin("pg_amcheck"), "--all", "--install-missing", "--no-password"});
    AddCheck("amcheck", r.exit_code == 0,
             r.exit_code == 0
                 ? "every database: heap and B-tree indexes intact"
                 : fmt::format("pg_amcheck exited with {}: {}", r.exit_code, LastLine(r.output)));
  }
  CheckStop("the checks");
  {
    std::string names =
        Query("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1", "the databases");
    int answered = 0;
    std::string failure;
    size_t start = 0;
    while (start < names.size()) {
      size_t end = names.find('\n', start);
      if (end == std::string::npos) end = names.size();
      std::string db = names.substr(start, end - start);
      start = end + 1;
      if (db.empty()) continue;
      ProcessResult r =
          RunTool({Bin("psql"), "-X", "-A", "-t", "-q", "-d", "dbname=" + ConninfoQuote(db), "-c",
                   "SELECT count(*) FROM pg_class"});
      if (r.exit_code == 0) {
        ++answered;
      } else if (failure.empty()) {
        failure = fmt::format("database {}: {}", db, LastLine(r.output));
      }
    }
    AddCheck("databases", failure.empty() && answered > 0,
             failure.empty() ? fmt::format("{} databases answered a query", answered) : failure);
  }
  if (!options_.sql_file.empty()) {
    CheckStop("the checks");
    LocalFile input;
    int err = fs_.Open(options_.sql_file, O_RDONLY, 0, input);
    if (err != 0) ThrowSystemError("read --sql", options_.sql_file, err);
    LocalFile output;
    err = fs_.Open(Path("sql.out"), O_WRONLY | O_CREAT | O_TRUNC, 0600, output);
    if (err != 0) ThrowSystemError("create", Path("sql.out"), err);
    ProcessResult r = RunTool({Bin("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"},
                              input.fd(), output.fd());
    output.Close();
    if (r.exit_code != 0) {
      AddCheck("sql", false,
               fmt::format("psql -f {} failed: {}", options_.sql_file, LastLine(r.output)));
    } else {
      std::string difference = CompareOutput(fs_, Path("sql.out"), options_.expect_file);
      AddCheck(
          "sql", difference.empty(),
          difference.empty()
              ? fmt::format("the output of {} equals {}", options_.sql_file, options_.expect_file)
              : fmt::format("the output of {} differs from {} at {}", options_.sql_file,
                            options_.expect_file, difference));
    }
  }
  result_.phases.push_back({"checks", {SecondsSince(phase_start), bytes}});
}

void Drill::StopPostgres() {
  postmaster_->Signal(SIGINT);  // fast shutdown: a clean checkpoint for pg_checksums
  auto limit = std::min(deadline_, Clock::now() + std::chrono::seconds(120));
  while (!postmaster_->Exited()) {
    CheckStop("PostgreSQL's shutdown");
    if (Clock::now() >= limit) {
      throw Error(
          ErrorCode::kFailedPrecondition,
          fmt::format("PostgreSQL did not stop within 2 minutes; see {}", Path("postgres.log")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (postmaster_->exit_code() != 0) {
    AddCheck(
        "shutdown", false,
        fmt::format("PostgreSQL exited with {}: {}", postmaster_->exit_code(), ServerFailure()));
  }
  postmaster_.reset();
}

void Drill::CheckChecksums() {
  auto phase_start = Clock::now();
  uint64_t bytes = 0;
  WalkTree(fs_, Path("data"), [&](const std::string&, const FileStat& stat) {
    if (stat.type == FileType::kRegular) bytes += stat.size;
  });
  if (!checksums_enabled_) {
    AddCheck("checksums", true, "skipped: the cluster has no data checksums");
    return;
  }
  CheckStop("pg_checksums");
  ProcessResult r = RunTool({Bin("pg_checksums"), "--check", "-D", Path("data")});
  AddCheck("checksums", r.exit_code == 0,
           r.exit_code == 0 ? "pg_checksums --check: every page's checksum matches"
                            : fmt::format("pg_checksums --check exited with {}: {}", r.exit_code,
                                          LastLine(r.output)));
  result_.phases.push_back({"checksums", {SecondsSince(phase_start), bytes}});
}

ProcessResult Drill::RunTool(std::vector<std::string> argv, int stdin_fd, int stdout_fd,
                             std::chrono::seconds limit) const {
  ProcessSpec spec{.argv = std::move(argv), .environment = ChildEnvironment(), .user = &user_};
  spec.stdin_fd = stdin_fd;
  spec.stdout_fd = stdout_fd;
  spec.die_with_parent = true;
  auto deadline = deadline_;
  if (limit.count() > 0) deadline = std::min(deadline, Clock::now() + limit);
  const std::string tool = spec.argv[0];
  ProcessResult r = RunProcess(spec, deadline, options_.stop);
  if (r.interruption == Interruption::kStopRequested || Clock::now() >= deadline_) {
    CheckStop(tool.substr(tool.rfind('/') + 1));
  }
  return r;
}

std::string Drill::Query(const std::string& sql, const std::string& what,
                         const std::string& database) const {
  ProcessResult r = RunTool({Bin("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                             "dbname=" + ConninfoQuote(database), "-c", sql});
  if (r.exit_code != 0) {
    throw Error(ErrorCode::kFailedPrecondition,
                fmt::format("the restored cluster did not answer the query for {}: {}", what,
                            LastLine(r.output)));
  }
  std::string out = r.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

void Drill::Cleanup() {
  if (postmaster_ && !postmaster_->Exited()) {
    postmaster_->Signal(SIGQUIT);  // immediate shutdown
    auto limit = Clock::now() + std::chrono::seconds(10);
    while (!postmaster_->Exited() && Clock::now() < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!postmaster_->Exited()) ::kill(-postmaster_->pid(), SIGKILL);
  }
  postmaster_.reset();
  if (!options_.keep && !scratch_.empty()) {
    try {
      RemoveTree(fs_, scratch_);
      result_.scratch_dir.clear();
    } catch (const Error& e) {
      result_.errors.push_back(e.what());
    }
  }
}

}  // namespace

DrillResult RunDrill(const BackupCatalog& catalog, const PipelineOptions& pipeline,
                     const DrillOptions& options) {
  if (options.sql_file.empty() != options.expect_file.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "--sql and --expect go together: give both or neither");
  }
  DrillResult result;
  result.started_at =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  result.target = options.target;
  Drill drill(catalog, pipeline, options, result);
  try {
    drill.Prepare();
  } catch (const Error& e) {
    drill.Cleanup();
    if (e.code() == ErrorCode::kInvalidArgument) throw;
    result.errors.push_back(e.what());
  } catch (const std::exception& e) {
    drill.Cleanup();
    result.errors.push_back(e.what());
  }
  if (result.errors.empty()) {
    try {
      drill.Run();
    } catch (const std::exception& e) {
      result.errors.push_back(e.what());
    }
    drill.Cleanup();
  }
  result.success = result.errors.empty();
  result.finished_at =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  return result;
}

}  // namespace walnut::drill
