#pragma once

// Making backups of a real PostgreSQL 15 and checking that they restore: a source cluster that
// archives through Walnut and pushes backups of itself, recording after each push what it held
// (a dump) and where that state can be recovered (a restore point); and a restore of such a
// backup into a fresh cluster that must dump the same.

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "support/pg_cluster.h"
#include "support/walnut_config.h"

namespace walnut::testing {

// A backup as the test saw it being made: its name, and the source's state right after it (the
// dump, and a restore point at which that state can be recovered).
struct TakenBackup {
  std::string name;
  std::string restore_point;
  std::string dump;
};

// A PostgreSQL cluster that archives its WAL through Walnut into a WalnutConfig's storage.
class BackupSource : public PgCluster {
 public:
  // initdb, archive_command through `config`, start, pgbench -i at `scale`.
  void StartArchiving(const WalnutConfig& config, int scale = 1);

  // backup-push of this cluster with `args` (before the data directory), optionally while
  // pgbench writes at a low rate (so that a delta stays small); returns the new backup's name.
  std::string Push(const WalnutConfig& config, const std::string& args = "",
                   bool under_load = false);
  // Push, then the state: dump and restore point (no load runs between the two, so the dump is
  // also the state at the backup's consistency point when nothing wrote during the push).
  TakenBackup PushAndRecord(const WalnutConfig& config, const std::string& args = "",
                            bool under_load = false);
  // Makes the archive hold everything written so far.
  void ArchiveAll();
};

// How RestoreAndCheck restores.
struct RestoreOptions {
  std::string fetch_args{};  // extra backup-fetch arguments
  // Recover only to the backup's consistency point (recovery_target = 'immediate') instead of
  // its restore point: for a backup whose later WAL may be gone (a permanent one kept behind a
  // newer retention target). The dump must then match the state recorded right after the push.
  bool to_consistency = false;
  bool amcheck = true;
  // Looks at the restored directory before PostgreSQL touches it.
  std::function<void(const std::filesystem::path&)> before_start{};
};

// Restores `taken` (fetched by its name, which may be LATEST) with `config` into a fresh cluster,
// recovers it, compares its dump with the recorded one and (unless told not to) runs amcheck.
void RestoreAndCheck(const WalnutConfig& config, const TakenBackup& taken,
                     const RestoreOptions& options = {});

// `basebackups_005/<object>` read with `st cat` and parsed; an empty object (and a test failure)
// when it cannot be read or is not a JSON object.
nlohmann::json BackupJson(const WalnutConfig& config, const std::string& object);
// The sentinel of backup `name`.
inline nlohmann::json SentinelJson(const WalnutConfig& config, const std::string& name) {
  return BackupJson(config, name + "_backup_stop_sentinel.json");
}

}  // namespace walnut::testing
