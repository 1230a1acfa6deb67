#include "storage/sftp/ssh_api.h"

#include "common/dynamic_library.h"

namespace walnut::sftp {
namespace {

SshApi LoadSsh() {
  auto library = DynamicLibrary::Open("libssh.so.4", "SFTP storage", "libssh-4");
  SshApi api{};
  library.Load(api.ssh_new, "ssh_new");
  library.Load(api.ssh_free, "ssh_free");
  library.Load(api.ssh_connect, "ssh_connect");
  library.Load(api.ssh_disconnect, "ssh_disconnect");
  library.Load(api.ssh_options_set, "ssh_options_set");
  library.Load(api.ssh_options_get, "ssh_options_get");
  library.Load(api.ssh_get_error, "ssh_get_error");
  library.Load(api.ssh_get_fd, "ssh_get_fd");
  library.Load(api.ssh_is_connected, "ssh_is_connected");
  library.Load(api.ssh_get_server_publickey, "ssh_get_server_publickey");
  library.Load(api.ssh_get_publickey_hash, "ssh_get_publickey_hash");
  library.Load(api.ssh_get_fingerprint_hash, "ssh_get_fingerprint_hash");
  library.Load(api.ssh_clean_pubkey_hash, "ssh_clean_pubkey_hash");
  library.Load(api.ssh_string_free_char, "ssh_string_free_char");
  library.Load(api.ssh_key_free, "ssh_key_free");
  library.Load(api.ssh_session_is_known_server, "ssh_session_is_known_server");
  library.Load(api.ssh_session_update_known_hosts, "ssh_session_update_known_hosts");
  library.Load(api.ssh_pki_import_privkey_file, "ssh_pki_import_privkey_file");
  library.Load(api.ssh_userauth_publickey, "ssh_userauth_publickey");
  library.Load(api.ssh_userauth_password, "ssh_userauth_password");
  library.Load(api.ssh_channel_write, "ssh_channel_write");
  library.Load(api.ssh_channel_read_timeout, "ssh_channel_read_timeout");
  library.Load(api.ssh_string_data, "ssh_string_data");
  library.Load(api.ssh_string_len, "ssh_string_len");
  library.Load(api.sftp_new, "sftp_new");
  library.Load(api.sftp_init, "sftp_init");
  library.Load(api.sftp_free, "sftp_free");
  library.Load(api.sftp_get_error, "sftp_get_error");
  library.Load(api.sftp_extension_supported, "sftp_extension_supported");
  library.Load(api.sftp_open, "sftp_open");
  library.Load(api.sftp_close, "sftp_close");
  library.Load(api.sftp_read, "sftp_read");
  library.Load(api.sftp_write, "sftp_write");
  library.Load(api.sftp_seek64, "sftp_seek64");
  library.Load(api.sftp_async_read_begin, "sftp_async_read_begin");
  library.Load(api.sftp_async_read, "sftp_async_read");
  library.Load(api.sftp_fsync, "sftp_fsync");
  library.Load(api.sftp_fstat, "sftp_fstat");
  library.Load(api.sftp_stat, "sftp_stat");
  library.Load(api.sftp_attributes_free, "sftp_attributes_free");
  library.Load(api.sftp_opendir, "sftp_opendir");
  library.Load(api.sftp_readdir, "sftp_readdir");
  library.Load(api.sftp_dir_eof, "sftp_dir_eof");
  library.Load(api.sftp_closedir, "sftp_closedir");
  library.Load(api.sftp_mkdir, "sftp_mkdir");
  library.Load(api.sftp_rmdir, "sftp_rmdir");
  library.Load(api.sftp_unlink, "sftp_unlink");
  library.Load(api.sftp_rename, "sftp_rename");
  return api;
}

}  // namespace

const SshApi& Ssh() { return LoadOnce<SshApi, LoadSsh>(); }

}  // namespace walnut::sftp
