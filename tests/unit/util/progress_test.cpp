#include "util/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

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

std::string contents(std::FILE* file) {
  std::string out(static_cast<std::size_t>(std::ftell(file)), '\0');
  std::rewind(file);
  out.resize(std::fread(out.data(), 1, out.size(), file));
  return out;
}

TEST(Progress, DrawsNoBarForQuickWork) {
  std::FILE* out = std::tmpfile();
  {
    util::Progress progress("quick", out, util::Progress::Style::bar);
    progress.start(10);
    progress.advance(10);
  }
  EXPECT_EQ(std::ftell(out), 0);
  std::fclose(out);
}

// Issue 15: off a terminal, verify printed nothing for a store it hashed in under 0.5 s.
TEST(Progress, LinesMarkEveryTenPercentStepEvenForQuickWork) {
  std::FILE* out = std::tmpfile();
  {
    util::Progress progress("verify", out, util::Progress::Style::lines);
    progress.start(100);
    for (int i = 0; i < 20; ++i) progress.advance(5);
  }
  const auto text = contents(out);
  for (int percent = 10; percent <= 100; percent += 10) {
    char step[16];
    std::snprintf(step, sizeof step, "verify %3d%% ", percent);
    EXPECT_NE(text.find(step), std::string::npos) << step << " in\n" << text;
  }
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10) << text;
  std::fclose(out);
}

TEST(Progress, LinesPrintOnceWhenOneAdvanceCrossesSeveralSteps) {
  std::FILE* out = std::tmpfile();
  {
    util::Progress progress("verify", out, util::Progress::Style::lines);
    progress.start(100);
    progress.advance(35);
    progress.advance(65);
  }
  const auto text = contents(out);
  EXPECT_EQ(text.substr(0, 11), "verify  35%") << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  std::fclose(out);
}

TEST(Progress, NotesGoAboveABarThatIsRedrawn) {
  std::FILE* out = std::tmpfile();
  util::Progress bar("preload", out, util::Progress::Style::bar);
  bar.start(100);
  bar.note("first.bin done");  // nothing drawn yet: a plain line
  EXPECT_EQ(contents(out), "first.bin done\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(550));
  bar.advance(50);  // past the quiet start: the bar is drawn
  bar.note("second.bin done");
  const auto text = contents(out);
  const auto note_at = text.find("\r\033[Ksecond.bin done\n");
  ASSERT_NE(note_at, std::string::npos) << text;
  EXPECT_NE(text.find("[############", note_at), std::string::npos) << text;  // redrawn below
  bar.finish();
  std::fclose(out);
}

TEST(Progress, NotesArePlainLinesWithoutABarAndSilentForNone) {
  std::FILE* out = std::tmpfile();
  util::Progress lines("preload", out, util::Progress::Style::lines);
  lines.note("a done");
  util::Progress none("preload", out, util::Progress::Style::none);
  none.note("b done");
  EXPECT_EQ(contents(out), "a done\n");
  std::fclose(out);
}

} // namespace
