#include "util/metrics.hpp"

#include "util/json_text.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace util {

namespace {

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  return out + "}";
}

std::string number(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

} // namespace

Counter& Metrics::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  auto& family = m_families[name];
  if (family.type.empty()) {
    family.type = "counter";
    family.help = help;
  }
  auto& slot = family.series[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

void Metrics::gauge(const std::string& name, const std::string& help,
                    std::function<double()> read) {
  std::lock_guard lock(m_mutex);
  auto& family = m_families[name];
  family.type = "gauge";
  family.help = help;
  family.gauge = std::move(read);
}

std::string Metrics::prometheus() const {
  std::lock_guard lock(m_mutex);
  std::string out;
  for (const auto& [name, family] : m_families) {
    out += "# HELP " + name + " " + family.help + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    if (family.gauge) {
      out += name + " " + number(family.gauge()) + "\n";
      continue;
    }
    for (const auto& [labels, counter] : family.series) {
      out += name + render_labels(labels) + " " + std::to_string(counter->value()) + "\n";
    }
  }
  return out;
}

std::string Metrics::json() const {
  std::lock_guard lock(m_mutex);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, family] : m_families) {
    if (family.gauge) {
      out[name] = family.gauge();
      continue;
    }
    if (family.series.size() == 1 && family.series.begin()->first.empty()) {
      out[name] = family.series.begin()->second->value();
      continue;
    }
    auto& by_labels = out[name] = nlohmann::json::object();
    for (const auto& [labels, counter] : family.series) {
      std::string key;
      for (const auto& [label, value] : labels) {
        key += (key.empty() ? "" : ",") + label + "=" + value;
      }
      by_labels[key] = counter->value();
    }
  }
  return to_json_text(out);
}

std::uint64_t Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(m_mutex);
  const auto family = m_families.find(name);
  if (family == m_families.end()) return 0;
  const auto series = family->second.series.find(labels);
  return series == family->second.series.end() ? 0 : series->second->value();
}

} // namespace util
