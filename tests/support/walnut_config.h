#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/rgw_bucket.h"
#include "support/test_storage.h"
#include "support/test_util.h"

namespace walnut::testing {

// A Walnut JSON config file for tests in which PostgreSQL runs Walnut (archive_command,
// restore_command) or Walnut runs as PostgreSQL's user: the storage (a fresh directory owned by
// PgRunUser(), the s3rver at $WALNUT_IT_S3_ENDPOINT under a prefix of its own, or a new RGW
// bucket, deleted with the config), compression,
// optional libsodium encryption and any extra setting. The file is rewritten on every change, so
// the commands PostgreSQL runs pick changes up at their next call.
class WalnutConfig {
 public:
  // `what` names the test in the S3 prefix or RGW bucket (ignored for a directory). kRgw throws
  // std::runtime_error when no RGW is configured (skip first: WALNUT_SKIP_UNLESS_AVAILABLE).
  explicit WalnutConfig(TestStorage storage, const std::string& what = "test");

  // WALG_COMPRESSION_METHOD ("lz4", "zstd", ...).
  void SetCompression(const std::string& method) { Set("WALG_COMPRESSION_METHOD", method); }
  // Encrypts with libsodium; `key_hex` is 32 bytes as 64 hex digits.
  void SetLibsodiumKey(const std::string& key_hex);
  // Encrypts with OpenPGP: `key` (as gpg exports it) goes to a file PgRunUser() can read, named
  // by WALG_PGP_KEY_PATH; `passphrase`, unless empty, is WALG_PGP_KEY_PASSPHRASE.
  void SetPgpKey(const std::string& key, const std::string& passphrase);
  // Any setting (the file holds strings only, as WAL-G's do).
  void Set(const std::string& name, const std::string& value);
  void Unset(const std::string& name);
  // The value of a setting in the file, "" when unset (e.g. AWS_ENDPOINT, for a proxy before it).
  std::string Setting(const std::string& name) const;

  TestStorage storage() const { return storage_; }
  // The storage directory (kDirectory only): objects live at `storage_dir()/wal_005/...`.
  std::filesystem::path storage_dir() const;
  const std::filesystem::path& path() const { return path_; }

  // `<walnut> --config <file> wal-push %p`, for archive_command.
  std::string ArchiveCommand() const { return CommandLine("wal-push %p"); }
  // `<walnut> --config <file> wal-fetch %f %p`, for restore_command.
  std::string RestoreCommand() const { return CommandLine("wal-fetch %f %p"); }
  // `<walnut> --config <file> <args>` (args are not quoted).
  std::string CommandLine(const std::string& args) const;
  // Runs walnut with `args` as PgRunUser(), with an empty environment apart from PATH and HOME
  // (so the caller's WALG_*/AWS_* variables cannot leak in).
  CommandResult Run(const std::string& args, const std::string& input = "") const;
  // The command line Run() executes (before it is wrapped to run as PgRunUser()), for running it
  // some other way (in the background, to be killed).
  std::string IsolatedCommandLine(const std::string& args) const;

  // The object names under `folder` (recursive `st ls`), e.g. "000000010000000000000003.lz4" for
  // "wal_005". Fails the test (and returns what it has) when the listing fails.
  std::vector<std::string> ListObjects(const std::string& folder) const;

 private:
  void Write() const;

  TestStorage storage_;
  TempDir dir_;  // the config file, HOME, and (kDirectory) the storage
  std::filesystem::path path_;
  std::map<std::string, std::string> settings_;
  std::unique_ptr<RgwBucket> rgw_bucket_;  // kRgw only
};

// The extension Walnut gives objects compressed with `method` (WALG_COMPRESSION_METHOD):
// "lz4" -> ".lz4", "zstd" -> ".zst", "none" -> "".
std::string ExtensionOf(const std::string& method);

// The backup names `backup-list` prints with `config`, oldest first (an EXPECT fails if it does).
std::vector<std::string> BackupNames(const WalnutConfig& config);

// A 32-byte libsodium key in hex, for tests that encrypt.
inline constexpr const char* kTestLibsodiumKeyHex =
    "4f8a2c11d0e97b35a6c8e1f20b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e";

}  // namespace walnut::testing
