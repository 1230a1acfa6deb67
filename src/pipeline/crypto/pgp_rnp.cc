#include "pipeline/crypto/pgp_rnp.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include <sched.h>
#include <unistd.h>

#include "common/dynamic_library.h"
#include "common/error.h"

namespace walnut::pgp {
namespace {

// The librnp functions used, resolved from librnp.so.0 on first use.
struct RnpApi {
  decltype(&rnp_ffi_create) ffi_create;
  decltype(&rnp_ffi_destroy) ffi_destroy;
  decltype(&rnp_ffi_set_pass_provider) ffi_set_pass_provider;
  decltype(&rnp_result_to_string) result_to_string;
  decltype(&rnp_buffer_destroy) buffer_destroy;
  decltype(&rnp_input_from_memory) input_from_memory;
  decltype(&rnp_input_from_callback) input_from_callback;
  decltype(&rnp_input_destroy) input_destroy;
  decltype(&rnp_output_to_memory) output_to_memory;
  decltype(&rnp_output_memory_get_buf) output_memory_get_buf;
  decltype(&rnp_output_to_callback) output_to_callback;
  decltype(&rnp_output_destroy) output_destroy;
  decltype(&rnp_import_keys) import_keys;
  decltype(&rnp_save_keys) save_keys;
  decltype(&rnp_identifier_iterator_create) iterator_create;
  decltype(&rnp_identifier_iterator_next) iterator_next;
  decltype(&rnp_identifier_iterator_destroy) iterator_destroy;
  decltype(&rnp_locate_key) locate_key;
  decltype(&rnp_key_handle_destroy) key_handle_destroy;
  decltype(&rnp_key_is_primary) key_is_primary;
  decltype(&rnp_key_have_secret) key_have_secret;
  decltype(&rnp_key_is_protected) key_is_protected;
  decltype(&rnp_key_allows_usage) key_allows_usage;
  decltype(&rnp_key_unprotect) key_unprotect;
  decltype(&rnp_op_encrypt_create) encrypt_create;
  decltype(&rnp_op_encrypt_add_recipient) encrypt_add_recipient;
  decltype(&rnp_op_encrypt_set_armor) encrypt_set_armor;
  decltype(&rnp_op_encrypt_set_cipher) encrypt_set_cipher;
  decltype(&rnp_op_encrypt_set_aead) encrypt_set_aead;
  decltype(&rnp_op_encrypt_set_compression) encrypt_set_compression;
  decltype(&rnp_op_encrypt_execute) encrypt_execute;
  decltype(&rnp_op_encrypt_destroy) encrypt_destroy;
  decltype(&rnp_op_verify_create) verify_create;
  decltype(&rnp_op_verify_execute) verify_execute;
  decltype(&rnp_op_verify_get_recipient_count) verify_get_recipient_count;
  decltype(&rnp_op_verify_get_recipient_at) verify_get_recipient_at;
  decltype(&rnp_recipient_get_keyid) recipient_get_keyid;
  decltype(&rnp_op_verify_destroy) verify_destroy;
  // The descriptors Botan keeps open on the random device (see LoadRnp).
  std::vector<int> random_device_fds;
};

// The descriptors of this process's table open on /dev/urandom or /dev/random.
std::vector<int> RandomDeviceDescriptors() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::string link = std::string("/proc/self/fd/") + entry->d_name;
    char target[64];
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    std::string_view path(target, static_cast<size_t>(n));
    if (path == "/dev/urandom" || path == "/dev/random") fds.push_back(std::atoi(entry->d_name));
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

RnpApi LoadRnp() {
  auto library = DynamicLibrary::Open("librnp.so.0", "OpenPGP encryption", "librnp0");
  RnpApi api{};
  library.Load(api.ffi_create, "rnp_ffi_create");
  library.Load(api.ffi_destroy, "rnp_ffi_destroy");
  library.Load(api.ffi_set_pass_provider, "rnp_ffi_set_pass_provider");
  library.Load(api.result_to_string, "rnp_result_to_string");
  library.Load(api.buffer_destroy, "rnp_buffer_destroy");
  library.Load(api.input_from_memory, "rnp_input_from_memory");
  library.Load(api.input_from_callback, "rnp_input_from_callback");
  library.Load(api.input_destroy, "rnp_input_destroy");
  library.Load(api.output_to_memory, "rnp_output_to_memory");
  library.Load(api.output_memory_get_buf, "rnp_output_memory_get_buf");
  library.Load(api.output_to_callback, "rnp_output_to_callback");
  library.Load(api.output_destroy, "rnp_output_destroy");
  library.Load(api.import_keys, "rnp_import_keys");
  library.Load(api.save_keys, "rnp_save_keys");
  library.Load(api.iterator_create, "rnp_identifier_iterator_create");
  library.Load(api.iterator_next, "rnp_identifier_iterator_next");
  library.Load(api.iterator_destroy, "rnp_identifier_iterator_destroy");
  library.Load(api.locate_key, "rnp_locate_key");
  library.Load(api.key_handle_destroy, "rnp_key_handle_destroy");
  library.Load(api.key_is_primary, "rnp_key_is_primary");
  library.Load(api.key_have_secret, "rnp_key_have_secret");
  library.Load(api.key_is_protected, "rnp_key_is_protected");
  library.Load(api.key_allows_usage, "rnp_key_allows_usage");
  library.Load(api.key_unprotect, "rnp_key_unprotect");
  library.Load(api.encrypt_create, "rnp_op_encrypt_create");
  library.Load(api.encrypt_add_recipient, "rnp_op_encrypt_add_recipient");
  library.Load(api.encrypt_set_armor, "rnp_op_encrypt_set_armor");
  library.Load(api.encrypt_set_cipher, "rnp_op_encrypt_set_cipher");
  library.Load(api.encrypt_set_aead, "rnp_op_encrypt_set_aead");
  library.Load(api.encrypt_set_compression, "rnp_op_encrypt_set_compression");
  library.Load(api.encrypt_execute, "rnp_op_encrypt_execute");
  library.Load(api.encrypt_destroy, "rnp_op_encrypt_destroy");
  library.Load(api.verify_create, "rnp_op_verify_create");
  library.Load(api.verify_execute, "rnp_op_verify_execute");
  library.Load(api.verify_get_recipient_count, "rnp_op_verify_get_recipient_count");
  library.Load(api.verify_get_recipient_at, "rnp_op_verify_get_recipient_at");
  library.Load(api.recipient_get_keyid, "rnp_recipient_get_keyid");
  library.Load(api.verify_destroy, "rnp_op_verify_destroy");
  // Botan's system random generator opens /dev/urandom once, on first use, and keeps the
  // descriptor for good. A context made here, on a thread sharing the descriptor table, opens it
  // where every QuietThread's private copy of the table will have it.
  // QuietThread keeps that descriptor and closes the rest of its private table.
  rnp_ffi_t warm_up = nullptr;
  if (api.ffi_create(&warm_up, RNP_KEYSTORE_GPG, RNP_KEYSTORE_GPG) == RNP_SUCCESS) {
    api.ffi_destroy(warm_up);
  }
  api.random_device_fds = RandomDeviceDescriptors();
  return api;
}

const RnpApi& Rnp() { return LoadOnce<RnpApi, LoadRnp>(); }

std::string ResultText(rnp_result_t rc) { return Rnp().result_to_string(rc); }

// Throws kInternal for a call that only fails on a bug or an exhausted machine.
void Check(rnp_result_t rc, std::string_view what) {
  if (rc != RNP_SUCCESS) {
    throw Error(ErrorCode::kInternal, fmt::format("OpenPGP: {} failed: {}", what, ResultText(rc)));
  }
}

// Owners of librnp's objects.
struct FfiDeleter {
  void operator()(rnp_ffi_st* ffi) const { Rnp().ffi_destroy(ffi); }
};
struct InputDeleter {
  void operator()(rnp_input_st* input) const { Rnp().input_destroy(input); }
};
struct OutputDeleter {
  void operator()(rnp_output_st* output) const { Rnp().output_destroy(output); }
};
struct KeyDeleter {
  void operator()(rnp_key_handle_st* key) const { Rnp().key_handle_destroy(key); }
};
struct IteratorDeleter {
  void operator()(rnp_identifier_iterator_st* it) const { Rnp().iterator_destroy(it); }
};
struct EncryptDeleter {
  void operator()(rnp_op_encrypt_st* op) const { Rnp().encrypt_destroy(op); }
};
struct VerifyDeleter {
  void operator()(rnp_op_verify_st* op) const { Rnp().verify_destroy(op); }
};
using Ffi = std::unique_ptr<rnp_ffi_st, FfiDeleter>;
using Input = std::unique_ptr<rnp_input_st, InputDeleter>;
using Output = std::unique_ptr<rnp_output_st, OutputDeleter>;
using Key = std::unique_ptr<rnp_key_handle_st, KeyDeleter>;
using Iterator = std::unique_ptr<rnp_identifier_iterator_st, IteratorDeleter>;
using EncryptOp = std::unique_ptr<rnp_op_encrypt_st, EncryptDeleter>;
using VerifyOp = std::unique_ptr<rnp_op_verify_st, VerifyDeleter>;

// A string librnp allocated.
std::string TakeString(char* text) {
  std::string result = text != nullptr ? text : "";
  Rnp().buffer_destroy(text);
  return result;
}

// Never asks for a passphrase: keys are unlocked beforehand (PgpKeyring::Unlocked), or the
// operation fails. librnp's default would be no provider, which fails the same way; this makes
// it explicit.
bool NoPassphrase(rnp_ffi_t, void*, rnp_key_handle_t, const char*, char*, size_t) { return false; }

// A context with no keys and no home directory.
Ffi NewFfi() {
  rnp_ffi_t raw = nullptr;
  Check(Rnp().ffi_create(&raw, RNP_KEYSTORE_GPG, RNP_KEYSTORE_GPG), "creating a context");
  Ffi ffi(raw);
  Check(Rnp().ffi_set_pass_provider(raw, &NoPassphrase, nullptr), "setting a password provider");
  return ffi;
}

Input MemoryInput(std::string_view bytes) {
  rnp_input_t raw = nullptr;
  Check(Rnp().input_from_memory(&raw, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                false),
        "reading keys");
  return Input(raw);
}

// Imports `packets` (armoured or binary) into `ffi`; returns false when they hold no key.
bool ImportKeys(rnp_ffi_t ffi, std::string_view packets) {
  if (packets.empty()) return false;
  Input input = MemoryInput(packets);
  char* results = nullptr;
  rnp_result_t rc = Rnp().import_keys(
      ffi, input.get(), RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS, &results);
  Rnp().buffer_destroy(results);
  return rc == RNP_SUCCESS;
}

// Saves the keys of `ffi` in binary form: the public ones, or also the secret ones.
std::string SaveKeys(rnp_ffi_t ffi, bool with_secret) {
  rnp_output_t raw = nullptr;
  Check(Rnp().output_to_memory(&raw, 0), "saving keys");
  Output output(raw);
  uint32_t flags = RNP_LOAD_SAVE_PUBLIC_KEYS | (with_secret ? RNP_LOAD_SAVE_SECRET_KEYS : 0);
  Check(Rnp().save_keys(ffi, RNP_KEYSTORE_GPG, output.get(), flags), "saving keys");
  uint8_t* buf = nullptr;
  size_t len = 0;
  Check(Rnp().output_memory_get_buf(output.get(), &buf, &len, false), "saving keys");
  std::string saved(reinterpret_cast<const char*>(buf), len);
  if (with_secret && len > 0) std::memset(buf, 0, len);
  return saved;
}

// Every key (primary and subkey) of `ffi`, with its id.
struct KeyEntry {
  std::string id;
  Key handle;
};
std::vector<KeyEntry> AllKeys(rnp_ffi_t ffi) {
  rnp_identifier_iterator_t raw = nullptr;
  Check(Rnp().iterator_create(ffi, &raw, "keyid"), "listing keys");
  Iterator it(raw);
  std::vector<KeyEntry> keys;
  const char* id = nullptr;
  while (Rnp().iterator_next(it.get(), &id) == RNP_SUCCESS && id != nullptr) {
    rnp_key_handle_t key = nullptr;
    Check(Rnp().locate_key(ffi, "keyid", id, &key), "finding a key");
    if (key != nullptr) keys.push_back(KeyEntry{id, Key(key)});
  }
  return keys;
}

bool KeyFlag(rnp_result_t (*query)(rnp_key_handle_t, bool*), rnp_key_handle_t key) {
  bool value = false;
  return query(key, &value) == RNP_SUCCESS && value;
}

bool CanEncrypt(rnp_key_handle_t key) {
  bool value = false;
  return Rnp().key_allows_usage(key, "encrypt", &value) == RNP_SUCCESS && value;
}

// Exceptions must not cross librnp's C frames: a callback keeps the first one here, and the
// caller rethrows it once librnp has returned.
struct CallbackState {
  const PullBytes* pull = nullptr;
  const PushBytes* push = nullptr;
  std::exception_ptr failure;
};

bool PullCallback(void* ctx, void* buf, size_t len, size_t* read) {
  auto* state = static_cast<CallbackState*>(ctx);
  try {
    *read = (*state->pull)(ByteSpan(static_cast<std::byte*>(buf), len));
    return true;
  } catch (...) {
    if (!state->failure) state->failure = std::current_exception();
    return false;
  }
}

bool PushCallback(void* ctx, const void* buf, size_t len) {
  auto* state = static_cast<CallbackState*>(ctx);
  if (state->failure) return false;
  try {
    (*state->push)(ConstByteSpan(static_cast<const std::byte*>(buf), len));
    return true;
  } catch (...) {
    state->failure = std::current_exception();
    return false;
  }
}

Input CallbackInput(CallbackState& state) {
  rnp_input_t raw = nullptr;
  Check(Rnp().input_from_callback(&raw, &PullCallback, nullptr, &state), "opening a stream");
  return Input(raw);
}

Output CallbackOutput(CallbackState& state) {
  rnp_output_t raw = nullptr;
  Check(Rnp().output_to_callback(&raw, &PushCallback, nullptr, &state), "opening a stream");
  return Output(raw);
}

// Runs `fn` on a QuietThread and waits for it; its exception is rethrown here.
template <typename Fn>
void RunQuietly(Fn&& fn) {
  std::exception_ptr failure;
  std::thread thread = QuietThread([&] {
    try {
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  thread.join();
  if (failure) std::rethrow_exception(failure);
}

std::string JoinIds(const std::vector<std::string>& ids) {
  return ids.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(ids, ", "));
}

}  // namespace

// Loads a keyring's packets into a fresh librnp context; one per stream, as a context is not
// thread-safe and streams run in parallel.
class RnpSession {
 public:
  static Ffi WithKeys(std::string_view packets) {
    Ffi ffi = NewFfi();
    if (!ImportKeys(ffi.get(), packets)) {
      throw Error(ErrorCode::kInternal, "OpenPGP: cannot load keys that were loaded before");
    }
    return ffi;
  }
  static const SecretString& Packets(const PgpKeyring& keys) { return keys.packets_; }
  static const std::string& PublicPackets(const PgpKeyring& keys) { return keys.public_packets_; }
};

std::thread QuietThread(std::function<void()> fn) {
  // Loaded here, not on the quiet thread: see LoadRnp.
  const std::vector<int>& keep = Rnp().random_device_fds;
  return std::thread([fn = std::move(fn), &keep] {
    if (::unshare(CLONE_FILES) == 0) {
      // The private table holds a copy of every descriptor open now. Kept, a copy would keep its
      // file open after its owner closed it: a pipe's write end would never let the reader see
      // the end of the output (credential_process, a child's output), a socket would linger. So
      // all go but Botan's random device.
      unsigned int low = 0;
      for (int fd : keep) {
        if (static_cast<unsigned int>(fd) > low) {
          ::close_range(low, static_cast<unsigned int>(fd) - 1, 0);
        }
        low = static_cast<unsigned int>(fd) + 1;
      }
      ::close_range(low, ~0U, 0);
      int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (null_fd >= 0 && null_fd != STDERR_FILENO) {
        ::dup2(null_fd, STDERR_FILENO);
        ::close(null_fd);
      }
    }
    fn();
  });
}

PgpKeyring PgpKeyring::Load(std::string_view material, std::string_view source) {
  PgpKeyring keyring;
  RunQuietly([&] { keyring = LoadHere(material, source); });
  return keyring;
}

PgpKeyring PgpKeyring::LoadHere(std::string_view material, std::string_view source) {
  Ffi ffi = NewFfi();
  if (!ImportKeys(ffi.get(), material)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: holds no OpenPGP key; give an ASCII-armoured or binary key as "
                            "gpg --export (public, to push) or gpg --export-secret-keys (secret, "
                            "to fetch) writes it",
                            source));
  }
  PgpKeyring keyring;
  keyring.source_ = std::string(source);
  for (const KeyEntry& key : AllKeys(ffi.get())) {
    if (KeyFlag(Rnp().key_is_primary, key.handle.get())) keyring.primary_key_ids_.push_back(key.id);
    if (CanEncrypt(key.handle.get()) && KeyFlag(Rnp().key_have_secret, key.handle.get())) {
      keyring.has_decryption_key_ = true;
      keyring.decryption_key_ids_.push_back(key.id);
      if (KeyFlag(Rnp().key_is_protected, key.handle.get())) {
        keyring.decryption_key_protected_ = true;
      }
    }
  }
  if (keyring.primary_key_ids_.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: holds OpenPGP subkeys without their primary key; export the "
                            "whole key with gpg --export or gpg --export-secret-keys",
                            source));
  }
  keyring.packets_ = SecretString(SaveKeys(ffi.get(), true));
  keyring.public_packets_ = SaveKeys(ffi.get(), false);
  return keyring;
}

PgpKeyring PgpKeyring::Unlocked(const SecretString& passphrase,
                                std::string_view passphrase_setting) const {
  PgpKeyring unlocked;
  RunQuietly([&] { unlocked = UnlockedHere(passphrase, passphrase_setting); });
  return unlocked;
}

PgpKeyring PgpKeyring::UnlockedHere(const SecretString& passphrase,
                                    std::string_view passphrase_setting) const {
  Ffi ffi = RnpSession::WithKeys(packets_.Reveal());
  for (const KeyEntry& key : AllKeys(ffi.get())) {
    rnp_key_handle_t handle = key.handle.get();
    if (!CanEncrypt(handle) || !KeyFlag(Rnp().key_have_secret, handle) ||
        !KeyFlag(Rnp().key_is_protected, handle)) {
      continue;
    }
    rnp_result_t rc = Rnp().key_unprotect(handle, passphrase.Reveal().c_str());
    if (rc != RNP_SUCCESS) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: does not unlock the secret key {} of {} ({}); set the "
                              "passphrase of that key",
                              passphrase_setting, key.id, source_, ResultText(rc)));
    }
  }
  PgpKeyring unlocked = *this;
  unlocked.packets_ = SecretString(SaveKeys(ffi.get(), true));
  unlocked.decryption_key_protected_ = false;
  return unlocked;
}

void Encrypt(const PgpKeyring& recipients, const PullBytes& pull, const PushBytes& push) {
  Ffi ffi = RnpSession::WithKeys(RnpSession::PublicPackets(recipients));
  CallbackState state{&pull, &push, nullptr};
  Input input = CallbackInput(state);
  Output output = CallbackOutput(state);
  rnp_op_encrypt_t raw = nullptr;
  Check(Rnp().encrypt_create(&raw, ffi.get(), input.get(), output.get()), "starting encryption");
  EncryptOp op(raw);
  for (const std::string& id : recipients.primary_key_ids()) {
    rnp_key_handle_t key = nullptr;
    Check(Rnp().locate_key(ffi.get(), "keyid", id.c_str(), &key), "finding a key");
    Key owned(key);
    rnp_result_t rc = Rnp().encrypt_add_recipient(op.get(), key);
    if (rc != RNP_SUCCESS) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: key {} cannot encrypt ({}): it has no valid encryption key "
                              "(expired, revoked or missing); use a key gpg can encrypt to",
                              recipients.source(), id, ResultText(rc)));
    }
  }
  // What go-crypto writes for WAL-G: binary, no compression (the data is compressed already),
  // and SEIPD v1 with MDC rather than AEAD, which GnuPG 2.2 cannot read.
  Check(Rnp().encrypt_set_armor(op.get(), false), "configuring encryption");
  Check(Rnp().encrypt_set_cipher(op.get(), "AES256"), "configuring encryption");
  Check(Rnp().encrypt_set_aead(op.get(), "None"), "configuring encryption");
  Check(Rnp().encrypt_set_compression(op.get(), "Uncompressed", 0), "configuring encryption");
  rnp_result_t rc = Rnp().encrypt_execute(op.get());
  if (state.failure) std::rethrow_exception(state.failure);
  if (rc == RNP_ERROR_NO_SUITABLE_KEY) {
    // librnp takes an expired or revoked key as a recipient and refuses it only here.
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: key {} cannot encrypt: it has no valid encryption key (expired, "
                            "revoked or missing); use a key gpg can encrypt to",
                            recipients.source(), JoinIds(recipients.primary_key_ids())));
  }
  Check(rc, "encryption");
}

void Decrypt(const PgpKeyring& keys, const PullBytes& pull, const PushBytes& push) {
  Ffi ffi = RnpSession::WithKeys(RnpSession::Packets(keys).Reveal());
  CallbackState state{&pull, &push, nullptr};
  Input input = CallbackInput(state);
  Output output = CallbackOutput(state);
  rnp_op_verify_t raw = nullptr;
  Check(Rnp().verify_create(&raw, ffi.get(), input.get(), output.get()), "starting decryption");
  VerifyOp op(raw);
  rnp_result_t rc = Rnp().verify_execute(op.get());
  if (state.failure) std::rethrow_exception(state.failure);
  if (rc == RNP_SUCCESS) return;
  if (rc == RNP_ERROR_NO_SUITABLE_KEY || rc == RNP_ERROR_KEY_NOT_FOUND) {
    std::vector<std::string> for_ids;
    size_t count = 0;
    if (Rnp().verify_get_recipient_count(op.get(), &count) == RNP_SUCCESS) {
      for (size_t i = 0; i < count; ++i) {
        rnp_recipient_handle_t recipient = nullptr;
        char* id = nullptr;
        if (Rnp().verify_get_recipient_at(op.get(), i, &recipient) == RNP_SUCCESS &&
            Rnp().recipient_get_keyid(recipient, &id) == RNP_SUCCESS) {
          for_ids.push_back(TakeString(id));
        }
      }
    }
    if (!for_ids.empty()) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("OpenPGP: encrypted for key {}, for which {} has no secret key "
                              "(its secret keys: {}); set the secret key the archive was "
                              "encrypted to",
                              JoinIds(for_ids), keys.source(), JoinIds(keys.decryption_key_ids())));
    }
  }
  throw Error(ErrorCode::kCorruption,
              fmt::format("OpenPGP: decryption failed: {}; the object is damaged, truncated or "
                          "not an OpenPGP message",
                          ResultText(rc)));
}

}  // namespace walnut::pgp
