#pragma once

#include <set>
#include <string>

#include "support/test_util.h"

namespace walnut::testing {

// A throwaway GnuPG home (real gpg, Debian's gnupg) for the OpenPGP tests: keys are generated
// in it and exported as files, and gpg encrypts and decrypts in it as WAL-G's users do. Its
// gpg-agent is stopped on destruction. Not thread-safe.
class GpgHome {
 public:
  GpgHome();
  ~GpgHome();
  GpgHome(const GpgHome&) = delete;
  GpgHome& operator=(const GpgHome&) = delete;

  // Generates an ed25519 key with a cv25519 encryption subkey (or RSA-2048 with an RSA subkey)
  // for `email`, protected by `passphrase` unless it is empty. Fails the test on error.
  void GenerateKey(const std::string& email, const std::string& passphrase, bool rsa = false);

  // The keys of `email` as gpg exports them: public or secret, armoured or binary.
  std::string ExportPublic(const std::string& email, bool armor = true);
  std::string ExportSecret(const std::string& email, const std::string& passphrase,
                           bool armor = true);
  // The key id (16 hex digits) of the encryption subkey of `email`.
  std::string EncryptionSubkeyId(const std::string& email);

  // `gpg --batch <args>` in this home with `input` on stdin.
  CommandResult Gpg(const std::string& args, const std::string& input = "");
  // Encrypts `plain` to `email` with gpg; `extra` adds options (--compress-algo, --armor).
  std::string Encrypt(const std::string& email, const std::string& plain,
                      const std::string& extra = "");
  // Decrypts `cipher` with gpg (the passphrase given by loopback when not empty); fails the test
  // when gpg does.
  std::string Decrypt(const std::string& cipher, const std::string& passphrase = "");

  const std::string& home() const { return home_; }
  // A file in the home's directory (outside GnuPG's own files).
  std::string File(const std::string& name) const;

 private:
  TempDir dir_;
  std::string home_;
};

// A GpgHome whose three test keys are made the first time something asks for them (ctest runs
// every test in a process of its own, and each key takes gpg a moment): alice (ed25519, no
// passphrase), bob (ed25519, protected by kPassphrase), carol (RSA-2048, no passphrase).
class GpgTestKeys : public GpgHome {
 public:
  static constexpr char kPassphrase[] = "correct horse battery";
  static constexpr char kAlice[] = "alice@walnut.invalid";
  static constexpr char kBob[] = "bob@walnut.invalid";
  static constexpr char kCarol[] = "carol@walnut.invalid";

  // Generates the key of `email` (one of the three) unless this home has it.
  void Need(const std::string& email);
  std::string ExportPublic(const std::string& email, bool armor = true);
  std::string ExportSecret(const std::string& email, const std::string& passphrase,
                           bool armor = true);
  std::string Encrypt(const std::string& email, const std::string& plain,
                      const std::string& extra = "");
  std::string EncryptionSubkeyId(const std::string& email);

 private:
  std::set<std::string> made_;
};

}  // namespace walnut::testing
