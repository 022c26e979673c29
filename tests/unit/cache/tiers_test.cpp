// The tier × mode matrix of the one pipeline (cache/tiers.hpp), through its seams: a scripted
// upstream behind upstream::Transport, the local and remote tiers as the Question's callbacks.
#include "cache/tiers.hpp"
#include "testutil.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

// An upstream that answers every fetch with `status` and `body` (or fails with `error`),
// counting fetches; with the gate closed, fetches wait until it opens.
class ScriptedUpstream final : public upstream::Transport {
public:
  int status = 200;
  std::string body = "answer";
  std::optional<util::Error> error;

  util::Result<upstream::FetchResult> fetch(const upstream::FetchRequest& request,
                                            upstream::FetchSink& sink) override {
    {
      std::unique_lock lock(m_mutex);
      ++m_fetches;
      m_urls.push_back(request.url.to_string());
      m_opened.wait(lock, [this] { return m_open; });
    }
    if (error) return tl::unexpected(*error);
    upstream::ResponseHead head;
    head.status = status;
    head.content_length = body.size();
    head.url = request.url.to_string();
    sink.on_head(head);
    auto fed = sink.on_body({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
    if (!fed) return tl::unexpected(fed.error());
    return upstream::FetchResult{1, body.size(), false, 0ms};
  }
  void close() {
    std::lock_guard lock(m_mutex);
    m_open = false;
  }
  void open() {
    {
      std::lock_guard lock(m_mutex);
      m_open = true;
    }
    m_opened.notify_all();
  }
  int fetches() {
    std::lock_guard lock(m_mutex);
    return m_fetches;
  }
  std::vector<std::string> urls() {
    std::lock_guard lock(m_mutex);
    return m_urls;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_opened;
  bool m_open = true;
  int m_fetches = 0;
  std::vector<std::string> m_urls;
};

// The local tier of these tests: answers by key, filled by the record step.
class Answers {
public:
  void put(const std::string& key, std::string body) {
    std::lock_guard lock(m_mutex);
    m_bodies[key] = std::move(body);
  }
  std::optional<std::string> find(const std::string& key) {
    std::lock_guard lock(m_mutex);
    auto it = m_bodies.find(key);
    if (it == m_bodies.end()) return std::nullopt;
    return it->second;
  }

private:
  std::mutex m_mutex;
  std::map<std::string, std::string> m_bodies;
};

struct Harness {
  testutil::TestStore store;
  util::Metrics metrics;
  ScriptedUpstream upstream;
  cache::Fetches fetches{*store, upstream, {}, {.workers = 4, .queue = 16}};
  Answers answers;

  cache::Tiers tiers(cache::Mode mode, cache::Lookups* lookups = nullptr) {
    return cache::Tiers(mode, *store, fetches, metrics, {}, lookups);
  }

  // A question for `key`, looked up in `answers`, recorded there by its fetch.
  cache::Question question(const std::string& key) {
    cache::Question q;
    q.what = "GET http://o.test/" + key;
    q.lookup = [this, key]() -> std::optional<cache::StoredAnswer> {
      auto body = answers.find(key);
      if (!body) return std::nullopt;
      return [body = *body](std::string label) {
        auto response = http::Response::text(200, body);
        response.cache = std::move(label);
        return response;
      };
    };
    q.unrecorded = [] { return http::Response::text(501, "not recorded"); };
    q.fetch = [this, key] {
      cache::Fetch fetch;
      fetch.key = key;
      fetch.request.url = upstream::parse_url("http://o.test/" + key).value();
      fetch.record = [this, key](cache::InFlight& flight, const upstream::ResponseHead& head, std::int64_t ms) {
        auto committed = flight.commit({head.content_length, std::nullopt});
        if (!committed) {
          flight.fail(committed.error());
          return;
        }
        if (head.status == 200) answers.put(key, upstream.body);
        flight.finish(std::move(*committed), ms);
      };
      fetch.fetched = [](const std::shared_ptr<cache::Follower>& follower, const upstream::ResponseHead& head,
                         http::Respond respond) {
        http::Response response;
        response.status = head.status;
        response.cache = "stored";
        response.body = std::static_pointer_cast<http::GrowingBody>(follower);
        respond(std::move(response));
      };
      return fetch;
    };
    return q;
  }

  // Serves a known content as one request would, and waits for the fetches to end.
  http::Response serve(cache::Tiers& tiers, const cache::KnownContent& known, bool head_only = false) {
    std::promise<http::Response> answered;
    auto future = answered.get_future();
    tiers.serve_content(known, head_only, "GET " + known.source.name, {},
                        [&answered](http::Response r) { answered.set_value(std::move(r)); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    auto response = future.get();
    fetches.wait_idle();
    return response;
  }

  http::Response ask(cache::Tiers& tiers, const cache::Question& q) {
    std::promise<http::Response> answered;
    auto future = answered.get_future();
    http::Respond respond = [&answered](http::Response r) { answered.set_value(std::move(r)); };
    EXPECT_EQ(tiers.answer(q, respond), cache::Answered::now);
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    auto response = future.get();
    fetches.wait_idle();
    return response;
  }
};

TEST(Tiers, AHitIsAnsweredFromTheLocalTierWithoutAskingTheOthers) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  h.answers.put("k", "kept");
  auto q = h.question("k");
  bool remote_asked = false;
  q.remote = [&](const http::Respond&) { return remote_asked = true; };
  const auto response = h.ask(tiers, q);
  EXPECT_EQ(response.cache, "hit");
  EXPECT_FALSE(remote_asked);
  EXPECT_EQ(h.upstream.fetches(), 0);
}

TEST(Tiers, AMissInRecordFetchesOnceAndTheNextAskIsAHit) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  auto q = h.question("k");
  EXPECT_EQ(h.ask(tiers, q).cache, "stored");
  EXPECT_EQ(h.ask(tiers, q).cache, "hit");
  EXPECT_EQ(h.upstream.fetches(), 1);
}

TEST(Tiers, AReplayMissIsAnsweredByTheRouteAndNeverFetched) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::replay);
  auto q = h.question("k");
  bool remote_asked = false;
  q.remote = [&](const http::Respond&) {
    remote_asked = true;
    return false;
  };
  EXPECT_EQ(h.ask(tiers, q).status, 501);
  EXPECT_TRUE(remote_asked);  // the bucket is a tier replay may read
  EXPECT_EQ(h.upstream.fetches(), 0);
}

TEST(Tiers, ARemoteHitIsAskedOnlyOnALocalMissAndAnswers) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  auto q = h.question("k");
  q.remote = [](const http::Respond& respond) {
    auto response = http::Response::text(200, "from the bucket");
    response.cache = "remote";
    respond(std::move(response));
    return true;
  };
  EXPECT_EQ(h.ask(tiers, q).cache, "remote");
  EXPECT_EQ(h.upstream.fetches(), 0);
}

TEST(Tiers, ARemoteTierThatFailsFallsThroughToTheUpstream) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  auto q = h.question("k");
  int remote_asked = 0;
  q.remote = [&](const http::Respond&) {
    ++remote_asked;
    return false;
  };
  EXPECT_EQ(h.ask(tiers, q).cache, "stored");
  EXPECT_EQ(remote_asked, 1);
  EXPECT_EQ(h.upstream.fetches(), 1);
}

TEST(Tiers, RemoteFirstAsksTheBucketBeforeTheLocalCopy) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  h.answers.put("k", "older");
  auto q = h.question("k");
  q.remote_first = true;
  q.remote = [](const http::Respond& respond) {
    auto response = http::Response::text(200, "newer");
    response.cache = "remote";
    respond(std::move(response));
    return true;
  };
  EXPECT_EQ(h.ask(tiers, q).cache, "remote");
}

TEST(Tiers, AnUpstreamFailureIsA502NamingTheRequest) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  h.upstream.error = util::Error{util::Errc::upstream_unreachable, "refused"};
  const auto response = h.ask(tiers, h.question("k"));
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(h.metrics.value("hubcache_upstream_failures_total"), 1u);
}

TEST(Tiers, AskingFirstServesTheStoredAnswerAsStaleWhenTheUpstreamFails) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::refresh);
  h.answers.put("k", "kept");
  h.upstream.status = 503;
  auto q = h.question("k");
  q.ask_first = true;
  EXPECT_EQ(h.ask(tiers, q).cache, "stale");
  EXPECT_EQ(h.upstream.fetches(), 1);
  EXPECT_EQ(h.metrics.value("hubcache_stale_answers_total"), 1u);
}

TEST(Tiers, AskingFirstTakesTheUpstreamsAnswerWhenItComes) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::refresh);
  h.answers.put("k", "kept");
  auto q = h.question("k");
  q.ask_first = true;
  EXPECT_EQ(h.ask(tiers, q).cache, "stored");
  EXPECT_EQ(h.upstream.fetches(), 1);
}

TEST(Tiers, ConcurrentMissesOfOneKeyJoinOneFlight) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  h.upstream.close();
  auto q = h.question("k");
  std::vector<std::future<http::Response>> answers;
  std::vector<std::shared_ptr<std::promise<http::Response>>> promises;
  for (int i = 0; i < 4; ++i) {
    auto promise = std::make_shared<std::promise<http::Response>>();
    answers.push_back(promise->get_future());
    http::Respond respond = [promise](http::Response r) { promise->set_value(std::move(r)); };
    EXPECT_EQ(tiers.answer(q, respond), cache::Answered::now);
    promises.push_back(promise);
  }
  h.upstream.open();
  for (auto& answer : answers) {
    ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(answer.get().cache, "stored");
  }
  h.fetches.wait_idle();
  EXPECT_EQ(h.upstream.fetches(), 1);
}

TEST(Tiers, AnAnswerStoredBetweenTheLookupAndTheFetchIsAHit) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  auto q = h.question("k");
  auto first = std::make_shared<bool>(true);
  auto lookup = q.lookup;
  // The first lookup misses; by the time the pipeline would fetch, another fetch stored it.
  q.lookup = [&h, first, lookup]() -> std::optional<cache::StoredAnswer> {
    if (*first) {
      *first = false;
      h.answers.put("k", "stored meanwhile");
      return std::nullopt;
    }
    return lookup();
  };
  EXPECT_EQ(h.ask(tiers, q).cache, "hit");
  EXPECT_EQ(h.upstream.fetches(), 0);
}

// A content known before its bytes: the route's claims decide what is stored.
cache::KnownContent known_content(Harness& h, const std::string& body, const std::string& name,
                                  std::vector<std::string>& named) {
  cache::KnownContent known;
  known.content.digest = util::Sha256::of(body);
  known.content.size = body.size();
  known.content.index = [&named, name](const store::BlobReader&) -> util::Result<void> {
    named.push_back(name);
    return {};
  };
  known.source.request.url = upstream::parse_url("http://cdn.test/" + name).value();
  known.source.name = "http://cdn.test/" + name;
  (void)h;
  return known;
}

TEST(Tiers, TwoNamesOfOneContentShareOneFetchAndBothAreNamed) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  h.upstream.body = std::string(100'000, 'x');
  h.upstream.close();
  std::vector<std::string> named;
  std::mutex named_mutex;
  std::vector<std::future<http::Response>> answers;
  std::vector<std::string> names = {"main/w.bin", "v1/w.bin", "other-repo/w.bin"};
  std::vector<cache::KnownContent> contents;
  for (const auto& name : names) contents.push_back(known_content(h, h.upstream.body, name, named));
  for (auto& known : contents) {
    auto promise = std::make_shared<std::promise<http::Response>>();
    answers.push_back(promise->get_future());
    tiers.serve_content(known, false, "GET " + known.source.name, {},
                        [promise](http::Response r) { promise->set_value(std::move(r)); });
  }
  h.upstream.open();
  for (auto& answer : answers) {
    ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(answer.get().status, 200);
  }
  h.fetches.wait_idle();
  EXPECT_EQ(h.upstream.fetches(), 1);
  std::sort(named.begin(), named.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(named, names);
  auto blob = h.store->blobs().open(util::Sha256::of(h.upstream.body));
  ASSERT_TRUE(blob && *blob);
}

TEST(Tiers, AContentTheStoreHoldsUnderAnyNameIsAHitWithoutAFetch) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  const std::string body = "bytes another repo brought";
  testutil::write_blob(*h.store, body);
  std::vector<std::string> named;
  auto known = known_content(h, body, "second/name", named);
  const auto response = h.ask(tiers, [&] {
    auto q = h.question("second");
    q.content = [known] { return std::optional<cache::KnownContent>(known); };
    return q;
  }());
  EXPECT_EQ(response.cache, "hit");
  EXPECT_EQ(h.upstream.fetches(), 0);
  EXPECT_EQ(named, std::vector<std::string>{"second/name"});
}

TEST(Tiers, AContentWhoseBytesDifferFromItsDigestIsRefusedAndNeverNamed) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  h.upstream.body = "not the bytes the digest names";
  std::vector<std::string> named;
  auto known = known_content(h, "the announced bytes!!!!!!!!!!!", "w.bin", named);
  auto response = h.serve(tiers, known);
  // The head went out before the body turned out wrong: the body is cut off, never whole.
  if (auto* body = std::get_if<std::shared_ptr<http::GrowingBody>>(&response.body)) {
    EXPECT_TRUE((*body)->state().failed);
  } else {
    EXPECT_GE(response.status, 500);
  }
  EXPECT_TRUE(named.empty());
  EXPECT_EQ(h.metrics.value("hubcache_integrity_failures_total"), 1u);
  auto blob = h.store->blobs().open(known.content.digest);
  ASSERT_TRUE(blob);
  EXPECT_FALSE(*blob);
}

TEST(Tiers, AHeadOfAKnownContentStartsNoFill) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  std::vector<std::string> named;
  auto known = known_content(h, "some bytes", "w.bin", named);
  known.headers = {{"ETag", "\"x\""}};
  auto response = h.serve(tiers, known, true);
  EXPECT_EQ(util::find_header(response.headers, "Content-Length").value_or(""), "10");
  EXPECT_EQ(h.upstream.fetches(), 0);
}

} // namespace

namespace {

TEST(Tiers, RefreshAndARecordingAskedToRefreshAskTheUpstreamFirstAndReplayNever) {
  Harness h;
  const util::Headers no_cache = {{"X-Hubcache-Refresh", "1"}};
  EXPECT_TRUE(h.tiers(cache::Mode::refresh).asks_first({}));
  EXPECT_FALSE(h.tiers(cache::Mode::record).asks_first({}));
  EXPECT_TRUE(h.tiers(cache::Mode::record).asks_first(no_cache));
  EXPECT_FALSE(h.tiers(cache::Mode::replay).asks_first(no_cache));
}

} // namespace

namespace {

TEST(Tiers, AContentSourceThatFailsIsToldOnceWhateverJoined) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::record);
  h.upstream.error = util::Error{util::Errc::upstream_unreachable, "refused"};
  std::vector<std::string> named;
  auto known = known_content(h, "bytes of a bucket", "w.bin", named);
  std::atomic<int> told{0};
  known.source.failed = [&told](const util::Error& error) {
    EXPECT_EQ(error.code, util::Errc::upstream_unreachable);
    ++told;
  };
  EXPECT_EQ(h.serve(tiers, known).status, 502);
  EXPECT_EQ(told, 1);
  EXPECT_TRUE(named.empty());
}

TEST(Tiers, AContentSourceAnswering5xxIsToldAndA404IsNot) {
  for (const int status : {503, 404}) {
    Harness h;
    auto tiers = h.tiers(cache::Mode::record);
    h.upstream.status = status;
    std::vector<std::string> named;
    auto known = known_content(h, "bytes", "w.bin", named);
    int told = 0;
    known.source.failed = [&told](const util::Error&) { ++told; };
    EXPECT_EQ(h.serve(tiers, known).status, 502);
    EXPECT_EQ(told, status >= 500 ? 1 : 0) << status;
  }
}

// Issue 18: with lookup threads, a server's thread never waits on the remote tier.
struct LookupHarness : Harness {
  cache::Lookups lookups{{.threads = 2, .queue = 4}, metrics, {}};
  cache::Tiers tiers = Harness::tiers(cache::Mode::replay, &lookups);

  // A question whose route has a remote tier.
  cache::Question remote_question(const std::string& key) {
    auto q = question(key);
    q.remote_tier = true;
    return q;
  }
};

TEST(Tiers, AHitIsAnsweredOnTheCallingThreadEvenWithLookupThreads) {
  LookupHarness h;
  auto& tiers = h.tiers;
  h.answers.put("k", "kept");
  auto q = h.remote_question("k");
  bool remote_asked = false;
  q.remote = [&](const http::Respond&) { return remote_asked = true; };
  const auto response = h.ask(tiers, q);  // Answered::now, answered before it returned
  EXPECT_EQ(response.cache, "hit");
  EXPECT_FALSE(remote_asked);
}

TEST(Tiers, AMissThatNeedsTheRemoteTierIsHandedToALookupThread) {
  LookupHarness h;
  auto& tiers = h.tiers;
  auto q = h.remote_question("k");
  std::atomic<int> asked_here{0};
  std::atomic<int> asked_on_lookup_thread{0};
  q.remote = [&](const http::Respond& respond) {
    ++(cache::Lookups::on_lookup_thread() ? asked_on_lookup_thread : asked_here);
    auto response = http::Response::text(200, "from the bucket");
    response.cache = "remote";
    respond(std::move(response));
    return true;
  };
  auto promise = std::make_shared<std::promise<http::Response>>();
  auto answered = promise->get_future();
  http::Respond respond = [promise](http::Response r) { promise->set_value(std::move(r)); };
  ASSERT_EQ(tiers.answer(q, respond), cache::Answered::later);
  EXPECT_EQ(answered.wait_for(0s), std::future_status::timeout);  // not answered, not asked
  EXPECT_EQ(asked_here, 0);
  ASSERT_TRUE(respond);  // handed back untouched
  // The route runs the request again on a lookup thread, where it may wait.
  std::promise<cache::Answered> outcome;
  auto ended = outcome.get_future();
  tiers.later(std::move(respond),
              [&](http::Respond again) { outcome.set_value(tiers.answer(q, again)); });
  ASSERT_EQ(ended.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(ended.get(), cache::Answered::now);
  ASSERT_EQ(answered.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(answered.get().cache, "remote");
  EXPECT_EQ(asked_here, 0);
  EXPECT_EQ(asked_on_lookup_thread, 1);
}

TEST(Tiers, AnswersThatMoveAskTheRemoteTierFirstOnALookupThread) {
  LookupHarness h;
  h.answers.put("k", "kept");
  auto q = h.remote_question("k");
  q.remote_first = true;
  q.remote = [](const http::Respond&) { return false; };
  bool looked_up = false;
  auto lookup = q.lookup;
  q.lookup = [&] {
    looked_up = true;
    return lookup();
  };
  http::Respond respond = [](http::Response) {};
  EXPECT_EQ(h.tiers.answer(q, respond), cache::Answered::later);
  EXPECT_FALSE(looked_up);
}

TEST(Tiers, WithoutLookupThreadsTheCallerWaitsAsBefore) {
  Harness h;
  auto tiers = h.tiers(cache::Mode::replay);
  auto q = h.question("k");
  q.remote_tier = true;
  q.remote = [](const http::Respond& respond) {
    respond(http::Response::text(200, "from the bucket"));
    return true;
  };
  EXPECT_EQ(h.ask(tiers, q).status, 200);
}

} // namespace
