#include "cache/cache.hpp"
#include "cache/exchange_key.hpp"
#include "testutil.hpp"

#include <filesystem>
#include <sys/resource.h>

#include <gtest/gtest.h>

namespace {

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

// Sets the soft descriptor limit for the scope of the object, then restores it.
class DescriptorLimit {
public:
  explicit DescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &m_saved);
    rlimit lowered = m_saved;
    lowered.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &m_saved); }

private:
  rlimit m_saved{};
};

// Issue 14: each hot entry keeps a body open; when they run the process out of descriptors,
// a hit drops them and opens its body again instead of failing.
TEST(Cache, ADescriptorShortageDropsTheHotEntriesInsteadOfFailingAHit) {
  testutil::TestStore s;
  constexpr int k_files = 40;
  std::vector<upstream::Url> urls;
  for (int i = 0; i < k_files; ++i) {
    urls.push_back(upstream::parse_url("http://o.test/f" + std::to_string(i)).value());
    auto body = testutil::write_blob(*s, "body " + std::to_string(i));
    store::Exchange exchange;
    exchange.key = cache::exchange_key("GET", urls.back());
    exchange.method = "GET";
    exchange.url = urls.back().to_string();
    exchange.status = 200;
    ASSERT_TRUE(s->put(&body, exchange));
  }
  util::Metrics metrics;
  util::StopSignal stop;
  upstream::Fetcher fetcher({}, metrics, stop, {});
  cache::Fetches fetches(*s, fetcher, {}, {.workers = 1, .queue = 1});
  cache::CredentialScopes scopes(*s);
  cache::CacheOptions options;
  options.mode = cache::Mode::replay;
  options.hot_entries = 1000; // more than the descriptors left: the shortage is theirs
  cache::Cache cache(options, *s, fetches, scopes, metrics, {});

  std::vector<int> statuses;
  {
    DescriptorLimit limit(open_descriptors() + k_files / 2);
    for (const auto& url : urls) {
      http::Request request;
      request.method = "GET";
      request.target = url.to_string();
      cache.handle(request, url, [&](http::Response response) {
        statuses.push_back(response.status);
        EXPECT_EQ(response.cache, "hit");
      });
    }
  }
  EXPECT_EQ(statuses, std::vector<int>(k_files, 200));
  EXPECT_GE(metrics.value("hubcache_hot_entries_dropped_total"), 1u);
}

} // namespace
