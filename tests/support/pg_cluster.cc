#include "support/pg_cluster.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace walnut::testing {
namespace {

constexpr int kPort = 5432;  // each cluster has its own socket directory

std::string Tail(const std::string& text, size_t max) {
  return text.size() <= max ? text : text.substr(text.size() - max);
}

}  // namespace

std::string PgRunUser() {
  if (::geteuid() == 0) return "postgres";
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : "";
}

std::string AsPgRunUser(const std::string& command) {
  if (::geteuid() != 0) return command;
  return "runuser -u postgres -- /bin/sh -c " + ShellQuote(command);
}

void GrantToPgRunUser(const std::filesystem::path& path) {
  if (::geteuid() != 0) return;
  std::string cmd = "chown -R postgres: " + ShellQuote(path.string());
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  // TempDir makes 0700 directories; PostgreSQL's user must at least reach through the parents.
  // Its own directories it reaches already, and a data directory must stay 0700.
  const passwd* pw = ::getpwnam("postgres");
  for (auto p = path.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    struct stat st {};
    if (pw && ::stat(p.c_str(), &st) == 0 && st.st_uid == pw->pw_uid) continue;
    std::filesystem::permissions(p, std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
  }
}

std::string ConfQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

PgCluster::PgCluster() { GrantToPgRunUser(dir_.path()); }

PgCluster::~PgCluster() {
  if (running_) {
    RunCommand(AsPgRunUser(BinDir() + "/pg_ctl stop -m immediate -D " +
                           ShellQuote(data_dir().string())));
  }
}

std::string PgCluster::BinDir() {
  const char* dir = std::getenv("PG_BINDIR");
  return dir && *dir ? dir : "/usr/lib/postgresql/15/bin";
}

void PgCluster::MustRun(const std::string& command, const std::string& what) const {
  CommandResult r = RunCommand(AsPgRunUser(command));
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) +
                             "): " + Tail(r.err + r.out, 2000));
  }
}

void PgCluster::InitDb(bool data_checksums) {
  MustRun(BinDir() + "/initdb -A trust -U postgres --no-sync -E UTF8 --locale=C " +
              (data_checksums ? "--data-checksums " : "") + "-D " +
              ShellQuote(data_dir().string()),
          "initdb");
}

void PgCluster::Configure(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  std::string path = (data_dir() / "postgresql.auto.conf").string();
  MustRun("printf '%s' " + ShellQuote(text) + " >> " + ShellQuote(path), "configure");
}

void PgCluster::SignalRecovery(bool standby) {
  std::string file = standby ? "standby.signal" : "recovery.signal";
  MustRun("touch " + ShellQuote((data_dir() / file).string()), "touch " + file);
}

void PgCluster::Start() {
  // Options on the command line win over whatever postgresql.conf a restored backup brought.
  std::string options = "-c listen_addresses='' -c port=" + std::to_string(kPort) +
                         " -c unix_socket_directories=" + dir_.str() +
                         " -c logging_collector=off";
  std::string cmd = BinDir() + "/pg_ctl start -w -t 120 -D " + ShellQuote(data_dir().string()) +
                    " -l " + ShellQuote((dir_.path() / "server.log").string()) + " -o " +
                    ShellQuote(options);
  CommandResult r = RunCommand(AsPgRunUser(cmd));
  if (r.exit_code != 0) {
    throw std::runtime_error("pg_ctl start failed: " + Tail(r.err + r.out, 1000) +
                             "\nserver log:\n" + Tail(ServerLog(), 3000));
  }
  running_ = true;
}

void PgCluster::Stop(const std::string& mode) {
  MustRun(BinDir() + "/pg_ctl stop -w -t 120 -m " + mode + " -D " +
              ShellQuote(data_dir().string()),
          "pg_ctl stop");
  running_ = false;
}

void PgCluster::Promote() {
  MustRun(BinDir() + "/pg_ctl promote -w -t 120 -D " + ShellQuote(data_dir().string()),
          "pg_ctl promote");
}

std::string PgCluster::ConnectionEnv() const {
  return "PGHOST=" + ShellQuote(dir_.str()) + " PGPORT=" + std::to_string(kPort) +
         " PGUSER=postgres PGDATABASE=postgres";
}

CommandResult PgCluster::Run(const std::string& command, const std::string& input) const {
  return RunCommand(AsPgRunUser(ConnectionEnv() + " " + command), input);
}

CommandResult PgCluster::Psql(const std::string& sql, const std::string& database) const {
  return Run(BinDir() + "/psql -X -A -t -q -v ON_ERROR_STOP=1 -d " + ShellQuote(database), sql);
}

std::string PgCluster::Query(const std::string& sql, const std::string& database) const {
  CommandResult r = Psql(sql, database);
  if (r.exit_code != 0) throw std::runtime_error("psql failed on '" + sql + "': " + r.err);
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

void PgCluster::Pgbench(const std::string& args, const std::string& database) const {
  CommandResult r = Run(BinDir() + "/pgbench " + args + " " + ShellQuote(database));
  if (r.exit_code != 0) throw std::runtime_error("pgbench " + args + " failed: " + Tail(r.err, 2000));
}

std::string PgCluster::DumpAll() const {
  CommandResult r = Run(BinDir() + "/pg_dumpall --no-role-passwords");
  if (r.exit_code != 0) throw std::runtime_error("pg_dumpall failed: " + Tail(r.err, 2000));
  // PostgreSQL 15.14+ brackets each database's part in \restrict/\unrestrict with a random key:
  // leave those lines out, so that two dumps of the same data compare equal.
  std::string dump;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("\\restrict ", 0) == 0 || line.rfind("\\unrestrict ", 0) == 0) continue;
    dump += line + "\n";
  }
  return dump;
}

void PgCluster::WaitForPromotion(int seconds) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    CommandResult r = Psql("SELECT pg_is_in_recovery()");
    if (r.exit_code == 0 && r.out.rfind("f", 0) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error("the server did not finish recovery in " + std::to_string(seconds) +
                           " s; server log:\n" + Tail(ServerLog(), 3000));
}

std::string PgCluster::SwitchWal() const {
  return Query("SELECT pg_walfile_name(pg_switch_wal())");
}

ArchiverStatus PgCluster::Archiver() const {
  std::string row = Query(
      "SELECT archived_count || '|' || failed_count || '|' || coalesce(last_archived_wal, '') || "
      "'|' || coalesce(last_failed_wal, '') FROM pg_stat_archiver");
  ArchiverStatus status;
  std::istringstream in(row);
  std::string archived, failed;
  std::getline(in, archived, '|');
  std::getline(in, failed, '|');
  std::getline(in, status.last_archived_wal, '|');
  std::getline(in, status.last_failed_wal, '|');
  status.archived_count = std::stoll(archived);
  status.failed_count = std::stoll(failed);
  return status;
}

std::vector<std::string> PgCluster::ArchivedFiles() const {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(data_dir() / "pg_wal/archive_status")) {
    std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.ends_with(".done"))
      names.push_back(name.substr(0, name.size() - 5));
  }
  std::sort(names.begin(), names.end());
  return names;
}

void PgCluster::WaitForArchived(const std::string& wal_name, int seconds) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  ArchiverStatus status;
  while (true) {
    status = Archiver();
    bool pending = false;
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator(data_dir() / "pg_wal/archive_status", ec)) {
      std::string name = entry.path().filename().string();
      // History files sort before segments of their timeline; compare segment names only.
      if (name.ends_with(".ready") && name.size() == 24 + 6 && name.substr(0, 24) <= wal_name) {
        pending = true;
      }
    }
    if (!pending && status.archived_count > 0 && status.last_archived_wal >= wal_name) return;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("WAL " + wal_name + " was not archived in " + std::to_string(seconds) +
                           " s (archived " + std::to_string(status.archived_count) + ", last '" +
                           status.last_archived_wal + "', failed " +
                           std::to_string(status.failed_count) + ", last failed '" +
                           status.last_failed_wal + "'); server log:\n" + Tail(ServerLog(), 3000));
}

void PgCluster::BaseBackup(const std::filesystem::path& target, const std::string& options) const {
  // The server waits for the backup's WAL to be archived, forever if archiving is broken.
  CommandResult r = Run("timeout 120 " + BinDir() + "/pg_basebackup --no-sync -c fast -D " +
                        ShellQuote(target.string()) + " " + options);
  if (r.exit_code != 0) {
    throw std::runtime_error("pg_basebackup failed (exit " + std::to_string(r.exit_code) +
                             "): " + Tail(r.err + r.out, 2000));
  }
}

std::string PgCluster::ServerLog() const {
  std::error_code ec;
  if (!std::filesystem::exists(dir_.path() / "server.log", ec)) return "";
  return ReadFile(dir_.path() / "server.log");
}

}  // namespace walnut::testing
