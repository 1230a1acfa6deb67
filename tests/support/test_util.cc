#include "support/test_util.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

#include "support/test_config.h"

namespace walnut::testing {

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < size; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::string CompressibleBytes(size_t size, uint64_t seed) {
  static const char* const kWords[] = {"walnut ", "backup ", "segment ",  "0000000100 ", "page ",
                                       "lsn ",    "tuple ",  "relation ", "vacuum ",     "\n"};
  std::mt19937_64 rng(seed);
  std::string out;
  out.reserve(size + 16);
  while (out.size() < size) {
    out += kWords[rng() % 10];
    if (rng() % 4 == 0) out += std::to_string(rng() % 100000);
  }
  out.resize(size);
  return out;
}

void WriteInRandomChunks(Writer& writer, const std::string& data, size_t max_chunk, uint64_t seed) {
  std::mt19937_64 rng(seed);
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = std::min(data.size() - pos, 1 + rng() % max_chunk);
    writer.Write(AsBytes(std::string_view(data).substr(pos, n)));
    pos += n;
  }
  writer.Close();
}

std::string ReadInRandomChunks(Reader& reader, size_t max_chunk, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out;
  std::string buf(max_chunk, '\0');
  while (true) {
    size_t want = 1 + rng() % max_chunk;
    size_t n = reader.Read(AsWritableBytes(buf).first(want));
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

std::string ReadAll(Reader& reader) {
  std::string out;
  std::string buf(1 << 16, '\0');
  while (size_t n = reader.Read(AsWritableBytes(buf))) out.append(buf.data(), n);
  return out;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/walnut-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::filesystem::path& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

std::string UniqueName(std::string_view what) {
  static std::atomic<int> counter{0};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return std::string(what) + "-" + std::to_string(::getpid()) + "-" + std::to_string(ms) + "-" +
         std::to_string(counter++);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string WalnutBinary() {
  const char* bin = std::getenv("WALNUT_BINARY");
  return ShellQuote(bin && *bin ? bin : WALNUT_TEST_BINARY);
}

CommandResult RunCommand(const std::string& command, const std::string& input) {
  TempDir dir;
  auto in = dir.path() / "in";
  auto out = dir.path() / "out";
  auto err = dir.path() / "err";
  WriteFile(in, input);
  std::string full = "( " + command + " ) <" + ShellQuote(in.string()) + " >" +
                     ShellQuote(out.string()) + " 2>" + ShellQuote(err.string());
  int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

}  // namespace walnut::testing
