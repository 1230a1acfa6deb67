#include "common/log_file_sink.h"

#include <csignal>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/logging.h"
#include "support/test_util.h"

namespace walnut::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> FileLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::string text = ReadFile(path);
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) {
      lines.push_back(text.substr(at) + "<no newline>");
      break;
    }
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

bool EndsWith(const std::string& line, const std::string& tail) { return line.ends_with(tail); }

// Every test logs through the process-wide logger as the binary does, and puts it back on
// standard error afterwards.
class LogFileTest : public ::testing::Test {
 protected:
  ~LogFileTest() override { InitLogging(); }
  fs::path Path(const std::string& name) const { return dir_.path() / name; }
  TempDir dir_;
};

TEST_F(LogFileTest, AppendsToAnExistingFileInWalGsFormat) {
  WriteFile(Path("walg.log"), "an earlier line\n");
  InitLogging("NORMAL", Path("walg.log").string());
  spdlog::info("hello {}", 1);
  spdlog::debug("not at NORMAL");
  std::vector<std::string> lines = FileLines(Path("walg.log"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "an earlier line");
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex(R"(INFO: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} hello 1)")))
      << lines[1];
}

TEST_F(LogFileTest, CreatesAMissingFileMode0640) {
  mode_t old = ::umask(022);
  InitLogging("NORMAL", Path("new.log").string());
  ::umask(old);
  spdlog::warn("created");
  struct stat st {};
  ASSERT_EQ(::stat(Path("new.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  std::vector<std::string> lines = FileLines(Path("new.log"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].starts_with("WARNING: ")) << lines[0];
}

TEST_F(LogFileTest, AnUnopenablePathNamesTheSettingAndKeepsThePreviousLogger) {
  for (const fs::path& bad : {Path("no-such-dir") / "walg.log", dir_.path()}) {
    Error e = ExpectError([&] { InitLogging("NORMAL", bad.string()); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    std::string message = e.what();
    EXPECT_TRUE(message.starts_with("WALG_LOG_DESTINATION: cannot open " + bad.string()))
        << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(Path("no-such-dir")));
}

TEST_F(LogFileTest, StderrMeansStandardError) {
  InitLogging("NORMAL", "stderr");
  spdlog::info("to standard error");
  EXPECT_FALSE(fs::exists(Path("stderr")));
  EXPECT_FALSE(fs::exists("stderr"));
}

TEST_F(LogFileTest, AReopenRequestMovesToTheFileNowAtThePath) {
  InitLogging("NORMAL", Path("walg.log").string());
  spdlog::info("one");
  fs::rename(Path("walg.log"), Path("walg.log.1"));  // logrotate's rename
  spdlog::info("two");                               // still the open file, now walg.log.1
  RequestLogReopen();
  spdlog::info("three");
  std::vector<std::string> rotated = FileLines(Path("walg.log.1"));
  std::vector<std::string> current = FileLines(Path("walg.log"));
  ASSERT_EQ(rotated.size(), 2u);
  EXPECT_TRUE(EndsWith(rotated[0], " one"));
  EXPECT_TRUE(EndsWith(rotated[1], " two"));
  ASSERT_EQ(current.size(), 1u);
  EXPECT_TRUE(EndsWith(current[0], " three"));
}

TEST_F(LogFileTest, SighupReopensAndDoesNotEndTheProcess) {
  InitLogging("NORMAL", Path("walg.log").string());
  EXPECT_TRUE(SighupReopensLogFiles());
  spdlog::info("before");
  fs::rename(Path("walg.log"), Path("walg.log.1"));
  WriteFile(Path("walg.log"), "");  // logrotate's create mode makes the new file itself
  ASSERT_EQ(::raise(SIGHUP), 0);    // the default action would end this test program
  spdlog::info("after");
  std::vector<std::string> rotated = FileLines(Path("walg.log.1"));
  std::vector<std::string> current = FileLines(Path("walg.log"));
  ASSERT_EQ(rotated.size(), 1u);
  EXPECT_TRUE(EndsWith(rotated[0], " before"));
  ASSERT_EQ(current.size(), 1u);
  EXPECT_TRUE(EndsWith(current[0], " after"));
}

TEST_F(LogFileTest, AFailedReopenKeepsWritingToTheOpenFile) {
  fs::create_directory(Path("logs"));
  InitLogging("NORMAL", (Path("logs") / "walg.log").string());
  spdlog::info("one");
  fs::rename(Path("logs"), Path("moved"));  // the path's directory is gone
  RequestLogReopen();
  spdlog::info("two");
  std::vector<std::string> lines = FileLines(Path("moved") / "walg.log");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(EndsWith(lines[1], " two"));
}

// Runs `fn` with standard error redirected into `path`.
template <typename Fn>
void WithStderrIn(const fs::path& path, Fn&& fn) {
  int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  ASSERT_GE(file, 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  fn();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
}

TEST_F(LogFileTest, ErrorLinesAlsoGoToStandardError) {
  WithStderrIn(Path("stderr.txt"), [&] {
    InitLogging("NORMAL", Path("walg.log").string());
    spdlog::info("progress");
    spdlog::warn("a warning");
    spdlog::error("the failure");
    InitLogging();
  });
  std::vector<std::string> file = FileLines(Path("walg.log"));
  std::vector<std::string> err = FileLines(Path("stderr.txt"));
  EXPECT_EQ(file.size(), 3u);
  ASSERT_EQ(err.size(), 1u);
  EXPECT_TRUE(err[0].starts_with("ERROR: ") && EndsWith(err[0], " the failure")) << err[0];
}

TEST_F(LogFileTest, ALogFileThatIsStandardErrorGetsEachLineOnce) {
  WithStderrIn(Path("both.txt"), [&] {
    InitLogging("NORMAL", Path("both.txt").string());
    spdlog::error("once");
    InitLogging();
  });
  EXPECT_EQ(FileLines(Path("both.txt")).size(), 1u);
}

// PostgreSQL runs several wal-push at once, all appending to one WALG_LOG_DESTINATION: every
// line must arrive whole.
TEST_F(LogFileTest, ConcurrentProcessesInterleaveWholeLines) {
  constexpr int kProcesses = 4;
  constexpr int kLines = 2000;
  const std::string payload(300, 'x');
  const std::string path = Path("shared.log").string();
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      InitLogging("NORMAL", path);
      for (int i = 0; i < kLines; ++i) spdlog::info("process {} line {} {}", p, i, payload);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::regex line_format(R"(INFO: \S+ \S+ process (\d) line (\d+) x{300})");
  std::map<int, int> next_line;  // per process: lines arrive in order
  std::vector<std::string> lines = FileLines(path);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kProcesses * kLines));
  for (const auto& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, line_format)) << line.substr(0, 120);
    int process = std::stoi(m[1]);
    EXPECT_EQ(std::stoi(m[2]), next_line[process]++);
  }
}

}  // namespace
}  // namespace walnut::testing
