// Every metric hubcache exposes (/_hubcache/metrics, /_hubcache/stats, `stats --json`), listed
// once with its type and help text: the one place to read what a name means. The call sites
// in cache/, hub/, http/, remote/, upstream/ and mount/ name their metric themselves (they
// do not depend on engine/); tests/unit/engine/metrics_table_test.cpp scans src/ so that a
// name missing here, or an entry no code uses, fails the build's tests.
#pragma once

#include <span>
#include <string_view>

namespace engine {

enum class MetricType { counter, gauge };

struct MetricSpec {
  std::string_view name;  // hubcache_…; counters end in _total, except the remote timing sum
  MetricType type;
  std::string_view help;
};

// Sorted by name, no duplicates.
std::span<const MetricSpec> metrics_table();

// The entry for `name`; nullptr if the table has none.
const MetricSpec* find_metric(std::string_view name);

// The help text of `name`. A name not in the table is a bug: throws std::logic_error.
std::string_view metric_help(std::string_view name);

} // namespace engine
