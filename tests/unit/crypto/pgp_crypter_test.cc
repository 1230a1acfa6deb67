// OpenPGP encryption against real GnuPG: keys made by gpg in a throwaway home, what Walnut
// encrypts decrypted by gpg and what gpg encrypts (every compression it offers, armoured or not)
// decrypted by Walnut; armoured and binary keys, passphrases, the wrong key, damage, and a
// stream far larger than the memory it may use.
#include "pipeline/crypto/pgp_crypter.h"

#include <fstream>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include "common/error.h"
#include "crypto_test_util.h"
#include "io/memory_stream.h"
#include "support/gpg_home.h"

namespace walnut {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace walnut::testing;

// ctest runs each test in a process of its own: keys are made when a test first needs them.
class PgpCrypterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gpg_ = new GpgTestKeys(); }
  static void TearDownTestSuite() {
    delete gpg_;
    gpg_ = nullptr;
  }

  static std::shared_ptr<const Crypter> FromKey(const std::string& material,
                                                std::optional<std::string> passphrase = {}) {
    std::optional<SecretString> secret;
    if (passphrase) secret = SecretString(*passphrase);
    return std::make_shared<PgpCrypter>(pgp::PgpKeyring::Load(material, "WALG_PGP_KEY"),
                                        std::move(secret), "WALG_PGP_KEY_PASSPHRASE");
  }
  static std::shared_ptr<const Crypter> AliceSecret() {
    return FromKey(gpg_->ExportSecret(GpgTestKeys::kAlice, ""));
  }

  static GpgTestKeys* gpg_;
};

GpgTestKeys* PgpCrypterTest::gpg_ = nullptr;

TEST_F(PgpCrypterTest, GpgDecryptsWhatWalnutEncryptsToAPublicKey) {
  auto crypter = FromKey(gpg_->ExportPublic(GpgTestKeys::kAlice));
  EXPECT_EQ(crypter->Name(), "openpgp");
  for (size_t size : {size_t{0}, size_t{1}, size_t{8191}, size_t{100000}, size_t{3} << 20}) {
    std::string plain = RandomBytes(size, size + 3);
    std::string cipher = Encrypt(*crypter, plain, 70000);
    ASSERT_FALSE(cipher.empty());
    EXPECT_TRUE(gpg_->Decrypt(cipher) == plain) << size;
  }
}

TEST_F(PgpCrypterTest, WalnutWritesWhatWalGWrites) {
  // Binary, a session key per recipient, SEIPD with MDC (which GnuPG 2.2 reads), no compression.
  auto crypter = FromKey(gpg_->ExportPublic(GpgTestKeys::kAlice));
  std::string cipher = Encrypt(*crypter, CompressibleBytes(50000));
  EXPECT_NE(static_cast<unsigned char>(cipher[0]) & 0x80, 0) << "not a binary OpenPGP packet";
  std::string path = gpg_->File("walnut.gpg");
  WriteFile(path, cipher);
  CommandResult r = gpg_->Gpg("--verbose --list-packets " + ShellQuote(path));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(":pubkey enc packet:"));
  EXPECT_THAT(r.out, HasSubstr(gpg_->EncryptionSubkeyId(GpgTestKeys::kAlice)));
  EXPECT_THAT(r.out, HasSubstr("mdc_method: 2"));
  EXPECT_THAT(r.out, Not(HasSubstr("compressed packet")));
  EXPECT_THAT(r.out, HasSubstr(":literal data packet:"));
  EXPECT_THAT(r.err, HasSubstr("AES256 encrypted data"));
}

TEST_F(PgpCrypterTest, WalnutDecryptsWhatGpgEncryptsWithAnyCompression) {
  auto crypter = AliceSecret();
  std::string plain = CompressibleBytes(300000, 5);
  for (std::string extra :
       {"", "--compress-algo none", "--compress-algo zip", "--compress-algo zlib",
        "--compress-algo bzip2", "--armor", "--cipher-algo AES128"}) {
    std::string cipher = gpg_->Encrypt(GpgTestKeys::kAlice, plain, extra);
    EXPECT_TRUE(Decrypt(*crypter, cipher, 5000) == plain) << extra;
  }
}

TEST_F(PgpCrypterTest, RoundTripThroughWalnutInRandomPieces) {
  auto crypter = AliceSecret();
  for (size_t size : {size_t{0}, size_t{1}, size_t{65536}, size_t{1000003}}) {
    std::string plain = RandomBytes(size, size);
    EXPECT_TRUE(Decrypt(*crypter, Encrypt(*crypter, plain, 9000), 7000) == plain) << size;
  }
}

TEST_F(PgpCrypterTest, BinaryAndArmouredKeysAndRsa) {
  std::string plain = RandomBytes(20000, 2);
  std::string cipher = gpg_->Encrypt(GpgTestKeys::kAlice, plain);
  EXPECT_TRUE(Decrypt(*FromKey(gpg_->ExportSecret(GpgTestKeys::kAlice, "", false)), cipher) ==
              plain);
  auto carol_public = FromKey(gpg_->ExportPublic(GpgTestKeys::kCarol, false));
  EXPECT_TRUE(gpg_->Decrypt(Encrypt(*carol_public, plain)) == plain);
  auto carol = FromKey(gpg_->ExportSecret(GpgTestKeys::kCarol, "", true));
  EXPECT_TRUE(Decrypt(*carol, gpg_->Encrypt(GpgTestKeys::kCarol, plain)) == plain);
}

TEST_F(PgpCrypterTest, AKeyringEncryptsToEveryKeyInIt) {
  // WAL-G encrypts to every entity of the keyring: either secret key decrypts.
  auto both =
      FromKey(gpg_->ExportPublic(GpgTestKeys::kAlice) + gpg_->ExportPublic(GpgTestKeys::kCarol));
  std::string plain = RandomBytes(5000, 4);
  std::string cipher = Encrypt(*both, plain);
  EXPECT_TRUE(Decrypt(*AliceSecret(), cipher) == plain);
  EXPECT_TRUE(Decrypt(*FromKey(gpg_->ExportSecret(GpgTestKeys::kCarol, "")), cipher) == plain);
}

TEST_F(PgpCrypterTest, PassphraseProtectedKey) {
  std::string secret = gpg_->ExportSecret(GpgTestKeys::kBob, GpgTestKeys::kPassphrase);
  std::string plain = RandomBytes(40000, 6);
  std::string cipher = gpg_->Encrypt(GpgTestKeys::kBob, plain);
  EXPECT_TRUE(Decrypt(*FromKey(secret, GpgTestKeys::kPassphrase), cipher) == plain);
  // Encrypting needs no passphrase, even with the secret keyring.
  EXPECT_TRUE(gpg_->Decrypt(Encrypt(*FromKey(secret), plain), GpgTestKeys::kPassphrase) == plain);

  Error missing = ExpectError([&] { Decrypt(*FromKey(secret), cipher); });
  EXPECT_EQ(missing.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(std::string(missing.what()),
            "WALG_PGP_KEY: the secret key is protected by a passphrase; set "
            "WALG_PGP_KEY_PASSPHRASE");

  auto wrong = FromKey(secret, "tr0ub4dor");
  Error e = ExpectError([&] { Decrypt(*wrong, cipher); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("WALG_PGP_KEY_PASSPHRASE: does not unlock the secret key "));
  EXPECT_THAT(e.what(), HasSubstr(gpg_->EncryptionSubkeyId(GpgTestKeys::kBob)));
  EXPECT_THAT(e.what(), Not(HasSubstr("tr0ub4dor")));
  EXPECT_THAT(e.what(), Not(HasSubstr("\n")));
  // The failure is kept: the slow key derivation is not run again for every object.
  Error again = ExpectError([&] { Decrypt(*wrong, cipher); });
  EXPECT_STREQ(again.what(), e.what());
}

TEST_F(PgpCrypterTest, WrongKeyNamesTheKeysInOneLine) {
  std::string cipher = gpg_->Encrypt(GpgTestKeys::kAlice, RandomBytes(1000, 8));
  auto carol = FromKey(gpg_->ExportSecret(GpgTestKeys::kCarol, ""));
  Error e = ExpectError([&] { Decrypt(*carol, cipher); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  EXPECT_THAT(e.what(), HasSubstr("OpenPGP: encrypted for key " +
                                  gpg_->EncryptionSubkeyId(GpgTestKeys::kAlice)));
  EXPECT_THAT(e.what(), HasSubstr("for which WALG_PGP_KEY has no secret key (its secret keys: "));
  EXPECT_THAT(e.what(), Not(HasSubstr("\n")));
}

TEST_F(PgpCrypterTest, AnExpiredKeyCannotEncryptAndSaysSoInOneLine) {
  // Made in 2020 with a lifetime of one day: expired long since. WAL-G refuses it too.
  CommandResult made =
      gpg_->Gpg("--faked-system-time 20200101T000000 --pinentry-mode loopback --gen-key",
                "%no-protection\nKey-Type: EDDSA\nKey-Curve: ed25519\nSubkey-Type: ECDH\n"
                "Subkey-Curve: cv25519\nName-Real: Walnut Test\nName-Email: old@walnut.invalid\n"
                "Expire-Date: 1d\n%commit\n");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto crypter = FromKey(gpg_->GpgHome::ExportPublic("old@walnut.invalid"));
  Error e = ExpectError([&] { Encrypt(*crypter, "data"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("WALG_PGP_KEY: key "));
  EXPECT_THAT(e.what(), HasSubstr("cannot encrypt"));
  EXPECT_THAT(e.what(), Not(HasSubstr("\n")));
}

TEST_F(PgpCrypterTest, PublicKeyCannotDecrypt) {
  auto crypter = FromKey(gpg_->ExportPublic(GpgTestKeys::kAlice));
  Error e = ExpectError([&] { Decrypt(*crypter, "x"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("WALG_PGP_KEY: holds no secret key that can decrypt"));
}

TEST_F(PgpCrypterTest, DamagedTruncatedAndForeignInputFail) {
  auto crypter = AliceSecret();
  std::string plain = RandomBytes(200000, 9);
  std::string cipher = Encrypt(*crypter, plain);
  std::string flipped = cipher;
  flipped[cipher.size() / 2] = static_cast<char>(flipped[cipher.size() / 2] ^ 0x20);
  for (const std::string& bad : {flipped, cipher.substr(0, cipher.size() - 10),
                                 cipher.substr(0, 300), std::string(), RandomBytes(5000, 10)}) {
    Error e = ExpectError([&] { Decrypt(*crypter, bad); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("OpenPGP"));
  }
}

TEST_F(PgpCrypterTest, DownstreamAndUpstreamErrorsComeThroughAsThemselves) {
  auto crypter = AliceSecret();
  auto log = std::make_shared<RecordingWriter::Log>();
  auto writer = crypter->WrapEncrypt(std::make_unique<RecordingWriter>(log, 0));
  Error e = ExpectError([&] { WriteInRandomChunks(*writer, RandomBytes(2 << 20, 1), 50000); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_STREQ(e.what(), "injected failure");
  writer.reset();
  EXPECT_TRUE(log->aborted);
  EXPECT_FALSE(log->closed);

  class FailingReader : public Reader {
   public:
    explicit FailingReader(std::string data) : inner_(std::move(data)) {}
    size_t Read(ByteSpan dst) override {
      size_t n = inner_.Read(dst);
      if (n == 0) throw Error(ErrorCode::kNetwork, "connection reset", true);
      return n;
    }

   private:
    MemoryReader inner_;
  };
  std::string cipher = Encrypt(*crypter, RandomBytes(100000, 2));
  auto reader =
      crypter->WrapDecrypt(std::make_unique<FailingReader>(cipher.substr(0, cipher.size() / 2)));
  Error read_error = ExpectError([&] { ReadAll(*reader); });
  EXPECT_EQ(read_error.code(), ErrorCode::kNetwork);
  EXPECT_TRUE(read_error.retryable());
}

TEST_F(PgpCrypterTest, AbandonedStreamsStopTheirThreads) {
  auto crypter = AliceSecret();
  std::string cipher = Encrypt(*crypter, RandomBytes(1 << 20, 3));
  {
    auto reader = crypter->WrapDecrypt(std::make_unique<MemoryReader>(cipher));
    std::string some(1000, '\0');
    ASSERT_EQ(reader->Read(ByteSpan(reinterpret_cast<std::byte*>(some.data()), some.size())),
              1000u);
  }  // destroyed mid-stream: must not hang
  {
    auto reader = crypter->WrapDecrypt(std::make_unique<MemoryReader>(cipher));
  }  // never read: no thread was started
  auto log = std::make_shared<RecordingWriter::Log>();
  {
    auto writer = crypter->WrapEncrypt(std::make_unique<RecordingWriter>(log));
    std::string data = RandomBytes(300000, 4);
    writer->Write(ConstByteSpan(reinterpret_cast<const std::byte*>(data.data()), data.size()));
  }  // destroyed without Close(): aborts downstream
  EXPECT_TRUE(log->aborted);
  EXPECT_FALSE(log->closed);
}

TEST_F(PgpCrypterTest, ADescriptorClosedWhileAStreamRunsIsClosed) {
  // librnp runs on a thread with a private copy of the descriptor table (pgp::QuietThread). A
  // pipe made before it started and closed by its owner meanwhile must still reach its end:
  // were the copy kept, the reader would wait for the stream to finish (credential_process's
  // output, a child's).
  auto crypter = AliceSecret();
  std::string cipher = Encrypt(*crypter, RandomBytes(1 << 20, 5));
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto reader = crypter->WrapDecrypt(std::make_unique<MemoryReader>(cipher));
  std::string some(1000, '\0');
  ASSERT_EQ(reader->Read(ByteSpan(reinterpret_cast<std::byte*>(some.data()), some.size())), 1000u);
  ::close(fds[1]);
  pollfd end{fds[0], POLLIN, 0};
  EXPECT_EQ(::poll(&end, 1, 2000), 1) << "the pipe's write end is still open somewhere";
  char byte;
  EXPECT_EQ(::read(fds[0], &byte, 1), 0);
  ::close(fds[0]);
  EXPECT_TRUE(ReadAll(*reader) == RandomBytes(1 << 20, 5).substr(1000));
}

// Resident memory peak (VmHWM) since the last reset, in bytes.
size_t PeakResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

void ResetPeakResident() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

// Produces `size` pseudo-random bytes without holding them.
class GeneratedReader : public Reader {
 public:
  explicit GeneratedReader(size_t size) : left_(size) {}
  size_t Read(ByteSpan dst) override {
    size_t n = std::min(dst.size(), left_);
    for (size_t i = 0; i < n; ++i) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      dst[i] = static_cast<std::byte>(state_ >> 56);
    }
    left_ -= n;
    return n;
  }

 private:
  size_t left_;
  uint64_t state_ = 1;
};

// Appends to a file, so that the ciphertext is held by no one.
class FileAppendWriter : public Writer {
 public:
  explicit FileAppendWriter(const std::string& path) : out_(path, std::ios::binary) {}
  void Write(ConstByteSpan src) override {
    out_.write(reinterpret_cast<const char*>(src.data()), static_cast<std::streamsize>(src.size()));
  }
  void Close() override { out_.close(); }
  void Abort() noexcept override {}

 private:
  std::ofstream out_;
};

class FileReader : public Reader {
 public:
  explicit FileReader(const std::string& path) : in_(path, std::ios::binary) {}
  size_t Read(ByteSpan dst) override {
    in_.read(reinterpret_cast<char*>(dst.data()), static_cast<std::streamsize>(dst.size()));
    return static_cast<size_t>(in_.gcount());
  }

 private:
  std::ifstream in_;
};

TEST_F(PgpCrypterTest, MemoryStaysBoundedForALargeStream) {
  // 256 MiB through encryption to a file and back through decryption, compared with the
  // generator byte for byte; the process's resident peak may grow by far less than the stream.
  constexpr size_t kSize = size_t{256} << 20;
  constexpr size_t kAllowedGrowth = size_t{24} << 20;
  auto crypter = AliceSecret();
  std::string path = gpg_->File("large.gpg");
  ResetPeakResident();
  size_t before = PeakResidentBytes();
  ASSERT_GT(before, 0u);
  {
    auto writer = crypter->WrapEncrypt(std::make_unique<FileAppendWriter>(path));
    GeneratedReader source(kSize);
    std::vector<std::byte> buffer(1 << 20);
    while (size_t n = source.Read(buffer)) writer->Write(ConstByteSpan(buffer.data(), n));
    writer->Close();
  }
  EXPECT_GT(std::filesystem::file_size(path), kSize);
  size_t after_encrypt = PeakResidentBytes();
  {
    auto reader = crypter->WrapDecrypt(std::make_unique<FileReader>(path));
    GeneratedReader expected(kSize);
    std::vector<std::byte> got(1 << 16), want(1 << 16);
    size_t total = 0;
    while (size_t n = reader->Read(got)) {
      ASSERT_EQ(ReadFull(expected, ByteSpan(want.data(), n)), n);
      ASSERT_TRUE(std::equal(got.begin(), got.begin() + static_cast<ptrdiff_t>(n), want.begin()))
          << "at " << total;
      total += n;
    }
    EXPECT_EQ(total, kSize);
  }
  size_t after_decrypt = PeakResidentBytes();
  std::filesystem::remove(path);
  EXPECT_LT(after_encrypt - before, kAllowedGrowth) << "encryption";
  EXPECT_LT(after_decrypt - before, kAllowedGrowth) << "decryption";
  std::cout << "peak resident growth: encrypt " << (after_encrypt - before) / 1024
            << " KiB, decrypt " << (after_decrypt - before) / 1024 << " KiB\n";
}

}  // namespace
}  // namespace walnut
