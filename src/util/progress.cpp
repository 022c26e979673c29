#include "util/progress.hpp"

#include "util/utf8.hpp"

#include "util/size.hpp"

#include <unistd.h>

#include <algorithm>

namespace util {

namespace {

// A bar is redrawn at most this often; short work never draws one at all.
constexpr auto k_redraw = std::chrono::milliseconds(200);
constexpr auto k_quiet_start = std::chrono::milliseconds(500);

} // namespace

Progress::Progress(std::string label, std::FILE* out)
    : Progress(std::move(label), out, ::isatty(::fileno(out)) ? Style::bar : Style::lines) {}

Progress::Progress(std::string label, std::FILE* out, Style style)
    : m_label(std::move(label)), m_out(out), m_style(style) {}

void Progress::start(std::uint64_t total_bytes) {
  m_total = total_bytes;
  m_done = 0;
  m_started = m_last_draw = std::chrono::steady_clock::now();
  m_last_tenth = 0;
  m_drawn = false;
  m_finished = false;
}

void Progress::advance(std::uint64_t bytes) {
  m_done += bytes;
  if (m_style == Style::none || m_total == 0 || m_finished) return;
  const auto now = std::chrono::steady_clock::now();
  if (m_style == Style::bar) {
    if (now - m_started < k_quiet_start || now - m_last_draw < k_redraw) return;
    m_last_draw = now;
    draw(false);
    return;
  }
  // Plain lines go to a log, which is read after the fact: every 10 % step is written, however
  // quick the work (a CI log shows that verify ran through; issue 15).
  const int tenth = static_cast<int>(10 * std::min(m_done, m_total) / m_total);
  if (tenth > m_last_tenth) {
    m_last_tenth = tenth;
    draw(false);
  }
}

void Progress::note(const std::string& line_text) {
  if (m_style == Style::none) return;
  // A note names outside input (a path, a URL): its control characters never reach the terminal.
  const std::string line = printable(line_text, std::string_view::npos);
  if (m_style == Style::bar && m_drawn && !m_finished) {
    std::fprintf(m_out, "\r\033[K%s\n", line.c_str());
    draw(false);
    return;
  }
  std::fprintf(m_out, "%s\n", line.c_str());
  std::fflush(m_out);
}

void Progress::finish() {
  if (m_finished) return;
  m_finished = true;
  // The bar's last state stays on screen; lines already said 100 % if the work got there.
  if (m_drawn && !(m_style == Style::lines && m_last_tenth == 10)) draw(true);
}

std::string Progress::render(std::chrono::steady_clock::time_point now) const {
  const double fraction =
      m_total == 0 ? 1.0
                   : std::min(1.0, static_cast<double>(m_done) / static_cast<double>(m_total));
  const double seconds = std::chrono::duration<double>(now - m_started).count();
  const double rate = seconds > 0 ? static_cast<double>(m_done) / seconds : 0;
  std::string line = m_label + " ";
  if (m_style == Style::bar) {
    constexpr int k_width = 24;
    const int filled = static_cast<int>(fraction * k_width);
    line += "[" + std::string(filled, '#') + std::string(k_width - filled, ' ') + "] ";
  }
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
  line += percent;
  line += " " + format_size(m_done) + "/" + format_size(m_total);
  line += " " + format_size(static_cast<std::uint64_t>(rate)) + "/s";
  if (rate > 0 && m_done < m_total) {
    const auto eta = static_cast<std::uint64_t>(static_cast<double>(m_total - m_done) / rate);
    line += " ETA " + std::to_string(eta) + "s";
  }
  return line;
}

void Progress::draw(bool final) {
  const std::string line = render(std::chrono::steady_clock::now());
  if (m_style == Style::bar) {
    std::fprintf(m_out, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(m_out, "%s\n", line.c_str());
  }
  std::fflush(m_out);
  m_drawn = true;
}

} // namespace util
