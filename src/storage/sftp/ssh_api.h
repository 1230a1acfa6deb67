#pragma once

#include <libssh/libssh.h>
#include <libssh/sftp.h>

namespace walnut::sftp {

// The libssh functions the SFTP backend uses, resolved from libssh.so.4 at run time. Walnut does
// not link libssh: only SFTP storage needs it, and loading it with its dependencies (Kerberos'
// GSSAPI libraries among them) would cost every wal-push and wal-fetch to a directory or S3
// start-up time and memory (1.3 MiB resident, measured). <libssh/*.h> still provide the types
// and constants; the members are named after the functions.
struct SshApi {
  decltype(&::ssh_new) ssh_new;
  decltype(&::ssh_free) ssh_free;
  decltype(&::ssh_connect) ssh_connect;
  decltype(&::ssh_disconnect) ssh_disconnect;
  decltype(&::ssh_options_set) ssh_options_set;
  decltype(&::ssh_options_get) ssh_options_get;
  decltype(&::ssh_get_error) ssh_get_error;
  decltype(&::ssh_get_fd) ssh_get_fd;
  decltype(&::ssh_is_connected) ssh_is_connected;
  decltype(&::ssh_get_server_publickey) ssh_get_server_publickey;
  decltype(&::ssh_get_publickey_hash) ssh_get_publickey_hash;
  decltype(&::ssh_get_fingerprint_hash) ssh_get_fingerprint_hash;
  decltype(&::ssh_clean_pubkey_hash) ssh_clean_pubkey_hash;
  decltype(&::ssh_string_free_char) ssh_string_free_char;
  decltype(&::ssh_key_free) ssh_key_free;
  decltype(&::ssh_session_is_known_server) ssh_session_is_known_server;
  decltype(&::ssh_session_update_known_hosts) ssh_session_update_known_hosts;
  decltype(&::ssh_pki_import_privkey_file) ssh_pki_import_privkey_file;
  decltype(&::ssh_userauth_publickey) ssh_userauth_publickey;
  decltype(&::ssh_userauth_password) ssh_userauth_password;
  decltype(&::ssh_channel_write) ssh_channel_write;
  decltype(&::ssh_channel_read_timeout) ssh_channel_read_timeout;
  decltype(&::ssh_string_data) ssh_string_data;
  decltype(&::ssh_string_len) ssh_string_len;
  decltype(&::sftp_new) sftp_new;
  decltype(&::sftp_init) sftp_init;
  decltype(&::sftp_free) sftp_free;
  decltype(&::sftp_get_error) sftp_get_error;
  decltype(&::sftp_extension_supported) sftp_extension_supported;
  decltype(&::sftp_open) sftp_open;
  decltype(&::sftp_close) sftp_close;
  decltype(&::sftp_read) sftp_read;
  decltype(&::sftp_write) sftp_write;
  decltype(&::sftp_seek64) sftp_seek64;
  decltype(&::sftp_async_read_begin) sftp_async_read_begin;
  decltype(&::sftp_async_read) sftp_async_read;
  decltype(&::sftp_fsync) sftp_fsync;
  decltype(&::sftp_fstat) sftp_fstat;
  decltype(&::sftp_stat) sftp_stat;
  decltype(&::sftp_attributes_free) sftp_attributes_free;
  decltype(&::sftp_opendir) sftp_opendir;
  decltype(&::sftp_readdir) sftp_readdir;
  decltype(&::sftp_dir_eof) sftp_dir_eof;
  decltype(&::sftp_closedir) sftp_closedir;
  decltype(&::sftp_mkdir) sftp_mkdir;
  decltype(&::sftp_rmdir) sftp_rmdir;
  decltype(&::sftp_unlink) sftp_unlink;
  decltype(&::sftp_rename) sftp_rename;
};

// Loads libssh on the first call (its constructor initialises it) and resolves every function;
// later calls return the same table. Thread-safe. Throws Error naming libssh.so.4 and the Debian
// package libssh-4 when the library is missing; a failed first call fails the same way every time.
const SshApi& Ssh();

}  // namespace walnut::sftp
