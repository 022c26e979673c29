#include "util/progress.hpp"

#include <cstdio>

#include <gtest/gtest.h>

namespace {

TEST(Progress, RendersPercentSizesRateAndEta) {
  util::Progress progress("verify", stderr, util::Progress::Style::lines);
  progress.start(2'000'000);
  progress.advance(1'000'000);
  const auto later = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  const auto line = progress.render(later);
  EXPECT_NE(line.find("verify  50% 1.0 MB/2.0 MB"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA "), std::string::npos) << line;
  progress.finish();
}

TEST(Progress, DrawsABarOnlyInBarStyle) {
  util::Progress bar("gc", stderr, util::Progress::Style::bar);
  bar.start(100);
  bar.advance(25);
  EXPECT_NE(bar.render(std::chrono::steady_clock::now()).find("[######"), std::string::npos);
  util::Progress lines("gc", stderr, util::Progress::Style::lines);
  lines.start(100);
  EXPECT_EQ(lines.render(std::chrono::steady_clock::now()).find('['), std::string::npos);
}

TEST(Progress, PrintsNothingForQuickWork) {
  std::FILE* out = std::tmpfile();
  {
    util::Progress progress("quick", out, util::Progress::Style::lines);
    progress.start(10);
    progress.advance(10);
  }
  EXPECT_EQ(std::ftell(out), 0);
  std::fclose(out);
}

} // namespace
