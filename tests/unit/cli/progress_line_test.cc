#include "cli/progress_line.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace walnut {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ProgressLineTest, FormatsBytesRateAndEta) {
  EXPECT_EQ(ProgressLine::Format("backup-push", 512ull << 20, 2048ull << 20, seconds(4)),
            "backup-push: 512.0 MiB of 2.0 GiB (25%), 128.0 MiB/s, ETA 0:00:12");
  // Unknown total: no percentage, no ETA. An estimate that was too small caps at 100%.
  EXPECT_EQ(ProgressLine::Format("x", 1000, 0, seconds(1)), "x: 1000 B, 1000 B/s");
  EXPECT_EQ(ProgressLine::Format("x", 2048, 1024, seconds(1)),
            "x: 2.0 KiB of 1.0 KiB (100%), 2.0 KiB/s, ETA 0:00:00");
}

TEST(ProgressLineTest, RedrawsInPlaceAtMostEveryInterval) {
  std::vector<std::string> out;
  ProgressLine::Clock::time_point now{};
  ProgressLine line(
      "p", 1000, true, [&](std::string_view s) { out.emplace_back(s); }, [&] { return now; },
      milliseconds(250));
  now += milliseconds(300);
  line.Add(100);  // draws
  now += milliseconds(100);
  line.Add(100);  // too soon: no redraw
  now += milliseconds(200);
  line.Add(100);  // draws
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0][0], '\r');
  EXPECT_NE(out[1].find("300 B of 1000 B (30%)"), std::string::npos) << out[1];
  line.Finish();
  line.Finish();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out.back(), "\n");
  EXPECT_EQ(line.done(), 300u);
}

TEST(ProgressLineTest, DrawsNothingOffATerminal) {
  std::vector<std::string> out;
  ProgressLine line("p", 0, false, [&](std::string_view s) { out.emplace_back(s); });
  line.Add(10);
  line.Finish();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(line.done(), 10u);
}

}  // namespace
}  // namespace walnut
