// Every hubcache_* metric named in src/ is in engine/metrics_table.cpp with the same help
// text, and every entry of the table is named somewhere (issue 16: one metrics table).
#include "engine/metrics_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

namespace {

struct Use {
  std::string where;                // FILE:LINE
  std::optional<std::string> help;  // the literal(s) right after the name, when there are
};

// Reads a string literal at text[i] == '"'; returns its content and moves i past it.
std::string read_literal(const std::string& text, std::size_t& i) {
  std::string out;
  for (++i; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  ++i;
  return out;
}

void skip_space(const std::string& text, std::size_t& i) {
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
}

// Each quoted "hubcache_…" in `text`, and the help text when adjacent literals follow it as
// the next argument (metrics.counter("name", "help" "more", …)).
void scan(const std::string& text, const std::string& file, std::multimap<std::string, Use>& uses) {
  const std::string k_prefix = "\"hubcache_";
  for (auto at = text.find(k_prefix); at != std::string::npos; at = text.find(k_prefix, at + 1)) {
    std::size_t i = at;
    const std::string name = read_literal(text, i);
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    Use use{file + ":" + std::to_string(line), std::nullopt};
    skip_space(text, i);
    if (i < text.size() && text[i] == ',') {
      ++i;
      skip_space(text, i);
      std::string help;
      bool any = false;
      while (i < text.size() && text[i] == '"') {
        help += read_literal(text, i);
        any = true;
        skip_space(text, i);
      }
      if (any && i < text.size() && (text[i] == ',' || text[i] == ')')) use.help = help;
    }
    uses.emplace(name, use);
  }
}

std::multimap<std::string, Use> uses_in_sources() {
  std::multimap<std::string, Use> uses;
  const std::filesystem::path root = HUBCACHE_SOURCE_DIR;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
    const auto relative = std::filesystem::relative(entry.path(), root).generic_string();
    if (relative == "engine/metrics_table.cpp") continue;  // the table itself
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    scan(text.str(), relative, uses);
  }
  return uses;
}

TEST(MetricsTable, IsSortedWithoutDuplicates) {
  const auto table = engine::metrics_table();
  ASSERT_FALSE(table.empty());
  for (std::size_t i = 1; i < table.size(); ++i) {
    EXPECT_LT(table[i - 1].name, table[i].name) << "engine/metrics_table.cpp is not sorted at "
                                                << table[i].name;
  }
}

TEST(MetricsTable, FindsEveryEntryAndNothingElse) {
  for (const auto& spec : engine::metrics_table()) {
    const auto* found = engine::find_metric(spec.name);
    ASSERT_NE(found, nullptr) << spec.name;
    EXPECT_EQ(found->name, spec.name);
    EXPECT_EQ(engine::metric_help(spec.name), spec.help);
  }
  EXPECT_EQ(engine::find_metric("hubcache_no_such_metric_total"), nullptr);
  EXPECT_THROW(engine::metric_help("hubcache_no_such_metric_total"), std::logic_error);
}

TEST(MetricsTable, CountersEndInTotalAndGaugesDoNot) {
  for (const auto& spec : engine::metrics_table()) {
    EXPECT_EQ(spec.name.ends_with("_total"), spec.type == engine::MetricType::counter) << spec.name;
    EXPECT_FALSE(spec.help.empty()) << spec.name;
  }
}

TEST(MetricsTable, Issue16EveryMetricTheSourcesNameIsInTheTable) {
  const auto uses = uses_in_sources();
  ASSERT_FALSE(uses.empty()) << "no hubcache_* names found under " << HUBCACHE_SOURCE_DIR;
  for (const auto& [name, use] : uses) {
    const auto* spec = engine::find_metric(name);
    EXPECT_NE(spec, nullptr) << name << " (" << use.where
                             << ") is not in src/engine/metrics_table.cpp: add it with its help text";
    if (spec && use.help) {
      EXPECT_EQ(*use.help, spec->help) << name << " (" << use.where
                                       << "): its help text differs from src/engine/metrics_table.cpp";
    }
  }
}

TEST(MetricsTable, Issue16EveryEntryOfTheTableIsUsed) {
  const auto uses = uses_in_sources();
  for (const auto& spec : engine::metrics_table()) {
    EXPECT_TRUE(uses.contains(std::string(spec.name)))
        << spec.name << " is in src/engine/metrics_table.cpp but no source names it";
  }
}

} // namespace
