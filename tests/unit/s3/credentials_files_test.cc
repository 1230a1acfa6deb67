// The AWS shared files: the ini parser, profile resolution and credential_process (a real
// script run by /bin/sh).

#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "storage/s3/credentials/credential_process.h"
#include "storage/s3/credentials/ini_file.h"
#include "storage/s3/credentials/shared_files.h"
#include "support/test_util.h"

namespace walnut::s3 {
namespace {

using testing::ExpectError;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(IniFileTest, ParsesSectionsKeysCommentsAndContinuations) {
  IniFile f = ParseIni(
      "# comment\n"
      "[default]\r\n"
      "aws_access_key_id = AKID ; trailing comment\n"
      "Aws_Secret_Access_Key=se#cret\n"
      "\n"
      "[profile dev]\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "region = eu-west-1\n"
      "[default]\n"
      "aws_session_token = tok",
      "/f");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ(f["default"]["aws_secret_access_key"], "se#cret");  // '#' inside a value stays
  EXPECT_EQ(f["default"]["aws_session_token"], "tok");          // a repeated section merges
  EXPECT_EQ(f["profile dev"]["s3"], "\nmax_concurrent_requests = 20");
  EXPECT_EQ(f["profile dev"]["region"], "eu-west-1");
}

TEST(IniFileTest, BadSyntaxNamesFileAndLineButNeverTheValue) {
  for (const auto& [bad_text, problem] : std::vector<std::pair<std::string, std::string>>{
           {"[default]\nAKIDSECRETVALUE\n", "/creds:2: expected '[section]' or 'key = value'"},
           {"aws_access_key_id = AKIDSECRETVALUE\n", "/creds:1: a key before the first"},
           {"[default\nx=1\n", "/creds:1: a section header without its closing"},
           {"[ ]\n", "/creds:1: an empty section name"},
           {"[a]\n = AKIDSECRETVALUE\n", "/creds:2: a value without a key"}}) {
    // A copy: clang before 16 cannot capture a structured binding in a lambda.
    const std::string text = bad_text;
    Error e = ExpectError([&] { ParseIni(text, "/creds"); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr(problem)) << text;
    EXPECT_THAT(e.what(), Not(HasSubstr("AKIDSECRETVALUE")));
  }
}

class SharedFilesTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.str() + "/" + name;
    testing::WriteFile(path, text);
    return path;
  }
  // The provider for `profile`, which must exist.
  std::shared_ptr<CredentialsProvider> Provider(const std::string& profile) {
    SharedFiles files = SharedFiles::Load(dir_.str() + "/credentials", dir_.str() + "/config");
    std::string why_not;
    auto p = ProfileProvider(files, profile, sts_, "session", why_not);
    EXPECT_NE(p, nullptr) << why_not;
    return p;
  }
  std::string WhyNot(const std::string& profile) {
    SharedFiles files = SharedFiles::Load(dir_.str() + "/credentials", dir_.str() + "/config");
    std::string why_not;
    EXPECT_EQ(ProfileProvider(files, profile, sts_, "session", why_not), nullptr);
    return why_not;
  }

  testing::TempDir dir_;
  StsOptions sts_ = [] {
    StsOptions o;
    o.endpoint = "http://127.0.0.1:1";
    o.region = "us-east-1";
    return o;
  }();
};

TEST_F(SharedFilesTest, CredentialsFileWinsOverConfigFile) {
  Write("credentials", "[default]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s1\n");
  Write("config",
        "[default]\naws_access_key_id = FROMCONFIG\naws_secret_access_key = s2\n"
        "[profile dev]\naws_access_key_id = DEV\naws_secret_access_key = s3\n"
        "aws_session_token = t3\n"
        "[dev]\naws_access_key_id = NOTAPROFILE\naws_secret_access_key = s4\n");
  EXPECT_EQ(Provider("default")->Current().access_key_id, "FROMCREDS");
  Credentials dev = Provider("dev")->Current();
  EXPECT_EQ(dev.access_key_id, "DEV");  // "[dev]" in the config file is not profile dev
  EXPECT_EQ(dev.session_token.Reveal(), "t3");
}

TEST_F(SharedFilesTest, MissingProfileAndMissingFilesAreSaidSo) {
  EXPECT_THAT(WhyNot("default"),
              HasSubstr("no profile default in " + dir_.str() + "/credentials (missing) or " +
                        dir_.str() + "/config (missing)"));
  Write("config", "[profile other]\nregion = x\n");
  EXPECT_THAT(WhyNot("other"), HasSubstr("profile other in"));
  EXPECT_THAT(WhyNot("other"), HasSubstr("has no credentials"));
}

TEST_F(SharedFilesTest, BrokenProfilesAreErrorsNamingTheProfile) {
  Write("credentials",
        "[half]\naws_access_key_id = AKID\n"
        "[role]\nrole_arn = arn:aws:iam::1:role/r\n"
        "[src]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nowhere\n"
        "[loop1]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop2\n"
        "[loop2]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop1\n");
  auto error_of = [&](const std::string& profile) {
    SharedFiles files = SharedFiles::Load(dir_.str() + "/credentials", dir_.str() + "/config");
    std::string why_not;
    return std::string(
        ExpectError([&] { ProfileProvider(files, profile, sts_, "s", why_not); }).what());
  };
  EXPECT_THAT(error_of("half"), HasSubstr("AWS profile half in"));
  EXPECT_THAT(error_of("half"), HasSubstr("must be given together"));
  EXPECT_THAT(error_of("role"), HasSubstr("role_arn needs source_profile"));
  EXPECT_THAT(error_of("src"), HasSubstr("no profile nowhere"));
  EXPECT_THAT(error_of("loop1"), HasSubstr("leads back to profile"));
}

TEST_F(SharedFilesTest, BadSyntaxIsAnErrorNamingTheFileAndLine) {
  std::string path = Write("credentials", "[default]\naws_access_key_id AKID\n");
  Error e = ExpectError([&] { SharedFiles::Load(path, dir_.str() + "/config"); });
  EXPECT_THAT(e.what(), HasSubstr(path + ":2:"));
}

TEST_F(SharedFilesTest, CredentialProcessRunsARealScript) {
  std::string script = Write("creds.sh",
                             "#!/bin/sh\n"
                             "echo \"$1\" >> \"$0.calls\"\n"
                             "printf '{\"Version\": 1, \"AccessKeyId\": \"PROCKEY\", "
                             "\"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"ptok\", "
                             "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
  Write("config", "[profile p]\ncredential_process = sh " + script + " first-arg\n");
  auto provider = Provider("p");
  Credentials c = provider->Current();
  EXPECT_EQ(c.access_key_id, "PROCKEY");
  EXPECT_EQ(c.secret_access_key.Reveal(), "procsecret");
  EXPECT_EQ(c.session_token.Reveal(), "ptok");
  EXPECT_EQ(testing::ReadFile(script + ".calls"), "first-arg\n");
  provider->Current();  // cached: valid until 2099
  EXPECT_EQ(testing::ReadFile(script + ".calls"), "first-arg\n");
}

TEST(CredentialProcessTest, FailuresNameTheProfileAndNeverQuoteTheOutput) {
  struct Case {
    std::string command, problem;
  };
  for (const Case& c : std::vector<Case>{
           {"echo AKIDSECRETVALUE; exit 3", "exited with status 3"},
           {"echo 'garbage AKIDSECRETVALUE'", "the output is not a JSON credentials document"},
           {"echo '{\"Version\": 2, \"AccessKeyId\": \"AKIDSECRETVALUE\"}'",
            "the credentials document needs \"Version\": 1"},
           {"echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDSECRETVALUE\"}'",
            "the credentials document has no SecretAccessKey"},
           {"echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\", "
            "\"Expiration\": \"soon\"}'",
            "Expiration 'soon' is not an ISO 8601 time"},
           {"kill -9 $$", "was killed by signal 9"},
           {"/nonexistent/helper", "exited with status 127"},
       }) {
    CredentialProcessFetcher fetcher(c.command, "prod");
    Error e = ExpectError([&] { fetcher.Fetch(); });
    EXPECT_EQ(e.code(), ErrorCode::kPermissionDenied) << c.command;
    EXPECT_THAT(e.what(), HasSubstr("credential_process of profile prod: " + c.problem));
    EXPECT_THAT(e.what(), Not(HasSubstr("AKIDSECRETVALUE")));
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(CredentialProcessTest, AHangingProcessIsKilledAtTheTimeout) {
  CredentialProcessFetcher fetcher("sleep 30", "slow", std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { fetcher.Fetch(); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(e.what(), HasSubstr("did not finish within"));
}

TEST(CredentialProcessTest, AProcessThatClosesStdoutButLingersIsBoundedToo) {
  CredentialProcessFetcher fetcher("exec >&-; sleep 30", "lingering",
                                   std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  Error e = ExpectError([&] { fetcher.Fetch(); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(e.what(), HasSubstr("did not finish within"));
}

// What the command started dies with it at the timeout: a background child of the shell (here one
// that would otherwise live 30 s) is killed as part of the command's process group.
TEST(CredentialProcessTest, ATimeoutAlsoKillsWhatTheCommandStarted) {
  testing::TempDir dir;
  const std::string pid_file = (dir.path() / "child.pid").string();
  CredentialProcessFetcher fetcher("sleep 30 & echo $! > " + ShellQuote(pid_file) + "; wait",
                                   "spawning", std::chrono::milliseconds(300));
  Error e = ExpectError([&] { fetcher.Fetch(); });
  EXPECT_THAT(e.what(), HasSubstr("did not finish within"));
  const std::string child = testing::ReadFile(pid_file);
  ASSERT_FALSE(child.empty());
  const std::string stat = "/proc/" + child.substr(0, child.find('\n')) + "/stat";
  // Gone, or a zombie waiting for its reaper: no longer running either way.
  bool running = true;
  for (int i = 0; i < 200 && running; ++i) {
    std::ifstream in(stat);
    std::string pid, name, state;
    running = static_cast<bool>(in >> pid >> name >> state) && state != "Z";
    if (running) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(running) << "the command's child " << child << " outlived the timeout";
}

}  // namespace
}  // namespace walnut::s3
