#include "util/metrics.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Metrics, RendersPrometheusTextWithHelpTypeAndLabels) {
  util::Metrics m;
  m.counter("hits_total", "Hits", {{"cache", "hit"}}).add(3);
  m.counter("hits_total", "Hits", {{"cache", "miss"}}).add();
  m.gauge("bytes", "Bytes", [] { return 42.0; });
  const auto text = m.prometheus();
  EXPECT_NE(text.find("# HELP hits_total Hits\n# TYPE hits_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("hits_total{cache=\"hit\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("hits_total{cache=\"miss\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE bytes gauge\nbytes 42\n"), std::string::npos);
  EXPECT_EQ(m.value("hits_total", {{"cache", "hit"}}), 3u);
  EXPECT_EQ(m.value("nothing"), 0u);
}

TEST(Metrics, TheSameSeriesIsTheSameCounter) {
  util::Metrics m;
  auto& a = m.counter("x_total", "X");
  auto& b = m.counter("x_total", "X");
  EXPECT_EQ(&a, &b);
}

TEST(Metrics, EscapesLabelValues) {
  util::Metrics m;
  m.counter("e_total", "E", {{"url", "a\"b\\c\nd"}}).add();
  EXPECT_NE(m.prometheus().find("e_total{url=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos);
}

TEST(Metrics, RendersJson) {
  util::Metrics m;
  m.counter("plain_total", "P").add(2);
  m.counter("labelled_total", "L", {{"k", "v"}}).add(5);
  EXPECT_EQ(m.json(), R"({"labelled_total":{"k=v":5},"plain_total":2})");
}

} // namespace
