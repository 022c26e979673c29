// Progress of long work on a stream: a redrawn bar on a terminal, plain lines otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace util {

// Not thread-safe. Prints nothing when `total` is 0. A bar is drawn only for work that lasts
// (half a second); lines style prints a line at each 10 % step, quick work included.
class Progress {
public:
  enum class Style { bar, lines, none };
  // `style` bar/lines is chosen from isatty(out) by the first constructor.
  Progress(std::string label, std::FILE* out = stderr);
  Progress(std::string label, std::FILE* out, Style style);

  void start(std::uint64_t total_bytes);
  void advance(std::uint64_t bytes);
  // Prints `line` on a line of its own, above the bar (which is then redrawn).
  void note(const std::string& line);
  // Ends the bar's line. Called by the destructor if needed.
  void finish();
  ~Progress() { finish(); }

  // The line as drawn, for tests: "verify [#####     ]  50% 1.0 MB/2.0 MB 3.2 MB/s ETA 1s".
  std::string render(std::chrono::steady_clock::time_point now) const;

private:
  void draw(bool final);

  std::string m_label;
  std::FILE* m_out;
  Style m_style;
  std::uint64_t m_total = 0;
  std::uint64_t m_done = 0;
  std::chrono::steady_clock::time_point m_started;
  std::chrono::steady_clock::time_point m_last_draw;
  int m_last_tenth = 0; // lines style: last 10 % step printed
  bool m_drawn = false;
  bool m_finished = true;
};

} // namespace util
