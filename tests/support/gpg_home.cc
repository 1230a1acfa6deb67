#include "support/gpg_home.h"

#include <filesystem>
#include <sstream>

namespace walnut::testing {

GpgHome::GpgHome() : home_((dir_.path() / "gnupg").string()) {
  std::filesystem::create_directory(home_);
  std::filesystem::permissions(home_, std::filesystem::perms::owner_all);
}

GpgHome::~GpgHome() { RunCommand("GNUPGHOME=" + ShellQuote(home_) + " gpgconf --kill gpg-agent"); }

CommandResult GpgHome::Gpg(const std::string& args, const std::string& input) {
  return RunCommand("GNUPGHOME=" + ShellQuote(home_) + " gpg --batch --no-tty " + args, input);
}

void GpgHome::GenerateKey(const std::string& email, const std::string& passphrase, bool rsa) {
  std::ostringstream spec;
  if (passphrase.empty()) spec << "%no-protection\n";
  if (rsa) {
    spec << "Key-Type: RSA\nKey-Length: 2048\nSubkey-Type: RSA\nSubkey-Length: 2048\n";
  } else {
    spec << "Key-Type: EDDSA\nKey-Curve: ed25519\nSubkey-Type: ECDH\nSubkey-Curve: cv25519\n";
  }
  spec << "Name-Real: Walnut Test\nName-Email: " << email << "\nExpire-Date: 0\n";
  if (!passphrase.empty()) spec << "Passphrase: " << passphrase << "\n";
  spec << "%commit\n";
  CommandResult r = Gpg("--pinentry-mode loopback --gen-key", spec.str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string GpgHome::ExportPublic(const std::string& email, bool armor) {
  CommandResult r = Gpg(std::string(armor ? "--armor " : "") + "--export " + ShellQuote(email));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty()) << "no public key for " << email;
  return r.out;
}

std::string GpgHome::ExportSecret(const std::string& email, const std::string& passphrase,
                                  bool armor) {
  std::string args = std::string(armor ? "--armor " : "") +
                     "--pinentry-mode loopback --passphrase-fd 0 --export-secret-keys " +
                     ShellQuote(email);
  CommandResult r = Gpg(args, passphrase + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty()) << "no secret key for " << email;
  return r.out;
}

std::string GpgHome::EncryptionSubkeyId(const std::string& email) {
  CommandResult r = Gpg("--with-colons --list-keys " + ShellQuote(email));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    // sub:u:255:18:KEYID:created::::::e:...  (field 5 the id, field 12 the capabilities)
    if (!line.starts_with("sub:")) continue;
    std::vector<std::string> fields;
    std::istringstream parts(line);
    std::string field;
    while (std::getline(parts, field, ':')) fields.push_back(field);
    if (fields.size() > 11 && fields[11].find('e') != std::string::npos) return fields[4];
  }
  ADD_FAILURE() << "no encryption subkey for " << email << ":\n" << r.out;
  return "";
}

std::string GpgHome::Encrypt(const std::string& email, const std::string& plain,
                             const std::string& extra) {
  CommandResult r =
      Gpg("--trust-model always --encrypt --recipient " + ShellQuote(email) + " " + extra, plain);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

std::string GpgHome::Decrypt(const std::string& cipher, const std::string& passphrase) {
  // The message comes from a file: stdin carries the passphrase.
  std::string path = File("to-decrypt.gpg");
  WriteFile(path, cipher);
  std::string args = "--pinentry-mode loopback --passphrase-fd 0 --decrypt " + ShellQuote(path);
  CommandResult r = Gpg(args, passphrase + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

std::string GpgHome::File(const std::string& name) const { return (dir_.path() / name).string(); }

void GpgTestKeys::Need(const std::string& email) {
  if (made_.contains(email)) return;
  if (email == kAlice) {
    GenerateKey(email, "");
  } else if (email == kBob) {
    GenerateKey(email, kPassphrase);
  } else if (email == kCarol) {
    GenerateKey(email, "", /*rsa=*/true);
  } else {
    ADD_FAILURE() << "no test key " << email;
  }
  made_.insert(email);
}

std::string GpgTestKeys::ExportPublic(const std::string& email, bool armor) {
  Need(email);
  return GpgHome::ExportPublic(email, armor);
}

std::string GpgTestKeys::ExportSecret(const std::string& email, const std::string& passphrase,
                                      bool armor) {
  Need(email);
  return GpgHome::ExportSecret(email, passphrase, armor);
}

std::string GpgTestKeys::Encrypt(const std::string& email, const std::string& plain,
                                 const std::string& extra) {
  Need(email);
  return GpgHome::Encrypt(email, plain, extra);
}

std::string GpgTestKeys::EncryptionSubkeyId(const std::string& email) {
  Need(email);
  return GpgHome::EncryptionSubkeyId(email);
}

}  // namespace walnut::testing
