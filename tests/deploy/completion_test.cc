// `walnut completion bash|zsh`: scripts the shells accept, that register for walnut and wal-g and
// complete the commands and flags of the binary's own parser.

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "deploy/deploy_support.h"

namespace walnut::deploy_test {
namespace {

namespace fs = std::filesystem;

class Completion : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bash = Shell(WalnutBinary() + " completion bash > " + ShellQuote(bash_.string()));
    ASSERT_EQ(bash.exit_code, 0) << bash.out;
    auto zsh = Shell(WalnutBinary() + " completion zsh > " + ShellQuote(zsh_.string()));
    ASSERT_EQ(zsh.exit_code, 0) << zsh.out;
  }

  // The words of a command line typed up to the cursor, quoted for a shell array, and how many
  // there are: an empty last word when the line ends in a space (a new word being completed).
  static std::pair<std::string, int> QuotedWords(const std::string& line) {
    std::istringstream in(line);
    std::string word, words;
    int count = 0;
    while (in >> word) {
      words += ShellQuote(word) + " ";
      ++count;
    }
    if (line.empty() || line.back() == ' ') {
      words += "''";
      ++count;
    }
    return {words, count};
  }

  // What bash offers for the words of `line` (the last one, possibly empty, being completed).
  std::string BashComplete(const std::string& line) {
    const auto [words, count] = QuotedWords(line);
    auto result =
        Shell("bash -c " + ShellQuote("source " + ShellQuote(bash_.string()) + "; COMP_WORDS=(" +
                                      words + "); COMP_CWORD=" + std::to_string(count - 1) +
                                      "; _walnut; printf '%s\\n' \"${COMPREPLY[@]}\""));
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return result.out;
  }

  // What the zsh function offers for the words of `line` (the last one, possibly empty, being
  // completed), called as the completion system would, with its builtins stubbed to print their
  // candidates: compadd's words, _describe's "name:description" entries, _files as FILES.
  std::string ZshComplete(const std::string& line) {
    const auto [words, count] = QuotedWords(line);
    auto result = Shell(
        "zsh -fc " +
        ShellQuote("compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -rl -- \"$@\"; }; "
                   "_describe() { print -rl -- \"${(@P)4}\"; }; _files() { print -r -- FILES; }; "
                   "source " + ShellQuote(zsh_.string()) + "; words=(" + words +
                   "); CURRENT=" + std::to_string(count) + "; _walnut"));
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return result.out;
  }

  TempDir dir_;
  fs::path bash_ = dir_.path() / "walnut.bash";
  fs::path zsh_ = dir_.path() / "_walnut";
};

TEST_F(Completion, BashAcceptsTheScriptAndRegistersBothNames) {
  auto syntax = Shell("bash -n " + ShellQuote(bash_.string()));
  EXPECT_EQ(syntax.exit_code, 0) << syntax.out;
  auto complete = Shell("bash -c " + ShellQuote("source " + ShellQuote(bash_.string()) +
                                                " && complete -p walnut wal-g"));
  EXPECT_EQ(complete.exit_code, 0) << complete.out;
  EXPECT_NE(complete.out.find("complete -o default -F _walnut walnut"), std::string::npos)
      << complete.out;
  EXPECT_NE(complete.out.find("complete -o default -F _walnut wal-g"), std::string::npos)
      << complete.out;
}

TEST_F(Completion, BashCompletesEveryCommandOfTheHelp) {
  // The commands `walnut --help` lists (CLI11: "Subcommands:" then "  name  description").
  auto help = Shell(WalnutBinary() + " --help");
  ASSERT_EQ(help.exit_code, 0) << help.out;
  auto at = help.out.find("Subcommands:");
  ASSERT_NE(at, std::string::npos) << help.out;
  std::istringstream lines(help.out.substr(at));
  std::string line;
  std::getline(lines, line);
  std::string offered = BashComplete("walnut ");
  int commands = 0;
  std::regex command_line(R"(^  ([a-z][a-z0-9-]*)\s.*)");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, command_line)) continue;
    ++commands;
    EXPECT_NE(offered.find(m[1].str() + "\n"), std::string::npos) << m[1] << " not offered:\n"
                                                                  << offered;
  }
  EXPECT_GE(commands, 10);
  EXPECT_NE(offered.find("completion\n"), std::string::npos);
}

TEST_F(Completion, BashCompletesSubcommandsAndFlags) {
  std::string backup = BashComplete("walnut backup-");
  for (const char* name : {"backup-push", "backup-fetch", "backup-list", "backup-mark"}) {
    EXPECT_NE(backup.find(std::string(name) + "\n"), std::string::npos) << backup;
  }
  EXPECT_EQ(backup.find("wal-push"), std::string::npos) << backup;

  std::string st = BashComplete("wal-g st ");
  for (const char* name : {"ls\n", "get\n", "put\n", "rm\n"})
    EXPECT_NE(st.find(name), std::string::npos) << st;

  std::string flags = BashComplete("walnut backup-push --");
  for (const char* name : {"--full\n", "--delta-from-name\n", "--help\n"}) {
    EXPECT_NE(flags.find(name), std::string::npos) << flags;
  }
  EXPECT_EQ(flags.find("--recursive"), std::string::npos) << "st ls's flag offered to backup-push";

  // The setting flags (walnut flags) are offered everywhere.
  std::string settings = BashComplete("walnut st ls --walg-s3-pre");
  EXPECT_EQ(settings, "--walg-s3-prefix\n");

  // After a flag that takes a value, the shell's file names (an empty reply with -o default).
  EXPECT_EQ(BashComplete("walnut backup-push --delta-from-name "), "\n");
}

TEST_F(Completion, ZshAcceptsTheScriptAndRegistersBothNames) {
  if (Shell("command -v zsh").exit_code != 0)
    GTEST_SKIP() << "zsh not installed (apt-get install zsh)";
  auto syntax = Shell("zsh -n " + ShellQuote(zsh_.string()));
  EXPECT_EQ(syntax.exit_code, 0) << syntax.out;
  EXPECT_EQ(Shell("head -n 1 " + ShellQuote(zsh_.string())).out, "#compdef walnut wal-g\n");
  auto loaded = Shell(
      "cd " + ShellQuote(dir_.path().string()) +
      " && HOME=. zsh -fc 'autoload -Uz compinit && compinit -u -d ./zcompdump && source ./_walnut"
      " && print -r -- $_comps[walnut] $_comps[wal-g] && typeset -f _walnut >/dev/null'");
  EXPECT_EQ(loaded.exit_code, 0) << loaded.out;
  EXPECT_EQ(loaded.out, "_walnut _walnut\n");
}

// The function itself, as the completion system calls it: the same offers as bash's.
TEST_F(Completion, ZshOffersCommandsSubcommandsFlagsAndFiles) {
  if (Shell("command -v zsh").exit_code != 0)
    GTEST_SKIP() << "zsh not installed (apt-get install zsh)";
  auto has_line_starting = [](const std::string& out, const std::string& start) {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(start, 0) == 0) return true;
    }
    return false;
  };
  const std::string commands = ZshComplete("walnut ");
  EXPECT_TRUE(has_line_starting(commands, "backup-push:")) << commands;
  EXPECT_TRUE(has_line_starting(commands, "wal-fetch:")) << commands;
  EXPECT_FALSE(has_line_starting(commands, "ls:")) << commands;

  const std::string st = ZshComplete("wal-g st ");
  EXPECT_TRUE(has_line_starting(st, "ls:")) << st;
  EXPECT_FALSE(has_line_starting(st, "backup-push:")) << st;

  const std::string flags = ZshComplete("walnut backup-push --de");
  EXPECT_TRUE(has_line_starting(flags, "--delta-from-name")) << flags;
  EXPECT_TRUE(has_line_starting(flags, "--walg-s3-prefix")) << flags;

  EXPECT_EQ(ZshComplete("walnut backup-push --delta-from-name "), "FILES\n");
}

TEST(CompletionCommand, RefusesAnUnknownShell) {
  auto result = Shell(WalnutBinary() + " completion fish");
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_NE(result.out.find("fish"), std::string::npos) << result.out;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.out;
}

}  // namespace
}  // namespace walnut::deploy_test
