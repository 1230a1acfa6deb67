#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "localfs/local_fs.h"
#include "recovery/recovery_target.h"

namespace walnut::recovery {

// restore_command for a restored cluster: this binary's wal-fetch with the configuration
// backup-fetch ran with, never a secret.
struct RestoreCommand {
  std::string command;  // restore_command's value
  // The config file passed as --config (absolute), "" when none was read.
  std::string config_file;
  // Secret settings given by the environment or a flag: not written; PostgreSQL's environment
  // must provide them (or a config file must hold them).
  std::vector<std::string> secrets_left_out;
};

// The config file read (absolute) goes in as --config; every other setting given explicitly (by
// the environment or a flag) goes in as an environment assignment NAME='value', except secrets
// (named in secrets_left_out), the PG* connection settings (wal-fetch does not connect), the
// config path itself and WALG_LOG_DESTINATION (PostgreSQL's user may not write the caller's log;
// wal-fetch's lines go to the server log). Relative paths (WALG_FILE_PREFIX, *_PATH, *_FILE)
// are made absolute against `cwd`: restore_command runs in the data directory.
RestoreCommand BuildRestoreCommand(const Config& config, const std::string& binary,
                                   const std::string& cwd);

// After a restore into `data_dir`: removes the other signal file, creates recovery.signal (or
// standby.signal) and rewrites postgresql.auto.conf (RewriteAutoConf with RecoverySettings),
// atomically and synced, 0600. `header` is the comment line above the settings.
void WriteRecoveryFiles(LocalFs& fs, const std::string& data_dir, const RecoveryRequest& request,
                        const std::string& restore_command, std::string_view header);

}  // namespace walnut::recovery
