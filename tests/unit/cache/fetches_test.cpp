#include "cache/fetches.hpp"
#include "testutil.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

// A listening socket on 127.0.0.1. Stalling, it never accepts: a client's request sits in
// the backlog with no answer, as with an upstream that hangs before its head. Answering, it
// answers every request with a 200 of "hi".
class LocalUpstream {
public:
  explicit LocalUpstream(bool answer) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(m_fd, 64) != 0 ||
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen");
    }
    m_port = ntohs(address.sin_port);
    if (answer) m_thread = std::thread([this] { serve(); });
  }
  ~LocalUpstream() {
    m_stopping = true;
    ::shutdown(m_fd, SHUT_RDWR);
    if (m_thread.joinable()) m_thread.join();
    ::close(m_fd);
  }
  upstream::Url url(const std::string& path) const {
    return upstream::parse_url("http://127.0.0.1:" + std::to_string(m_port) + path).value();
  }

private:
  void serve() {
    while (!m_stopping) {
      const int client = ::accept(m_fd, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
      }
      static constexpr char k_answer[] =
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
      (void)!::write(client, k_answer, sizeof k_answer - 1);
      ::close(client);
    }
  }

  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::thread m_thread;
};

struct Harness {
  testutil::TestStore store;
  util::Metrics metrics;
  util::StopSignal stop;
  upstream::Fetcher fetcher;
  Harness() : fetcher(options(), metrics, stop, {}) { upstream::global_init(); }
  static upstream::FetcherOptions options() {
    upstream::FetcherOptions o;
    o.retry.max_retries = 0;
    return o;
  }
};

upstream::FetchRequest get(const upstream::Url& url) {
  upstream::FetchRequest request;
  request.url = url;
  return request;
}

void finish_quietly(cache::InFlight& flight, const upstream::ResponseHead&, std::int64_t ms) {
  flight.finish(std::nullopt, ms);
  flight.writer().discard();
}

// What a flight's clients were told: the head's status, or the error.
class Outcome {
public:
  explicit Outcome(cache::InFlight& flight) {
    flight.wait_for_head([this](const upstream::ResponseHead* head, const util::Error* error) {
      std::lock_guard lock(m_mutex);
      m_text = head ? std::to_string(head->status) : error->message;
      m_done.notify_all();
    });
  }
  std::string wait() {
    std::unique_lock lock(m_mutex);
    m_done.wait_for(lock, 10s, [this] { return !m_text.empty(); });
    return m_text;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_done;
  std::string m_text;
};

template <typename Predicate> bool eventually(Predicate done) {
  for (int i = 0; i < 500 && !done(); ++i)
    std::this_thread::sleep_for(10ms);
  return done();
}

TEST(Fetches, AFullPoolAndQueueRefuseAFetchAndFetchesNobodyWantsEnd) {
  Harness h;
  LocalUpstream stalling(false);
  cache::Fetches fetches(*h.store, h.fetcher, {}, {.workers = 1, .queue = 1});
  auto a_client = std::make_shared<http::ClientPresence>();
  auto b_client = std::make_shared<http::ClientPresence>();
  auto a =
      fetches.join_or_start("a", {a_client, std::nullopt}, get(stalling.url("/a")), finish_quietly);
  ASSERT_TRUE(a.follower);
  ASSERT_TRUE(eventually([&] { return fetches.running() == 1; }));
  auto b =
      fetches.join_or_start("b", {b_client, std::nullopt}, get(stalling.url("/b")), finish_quietly);
  ASSERT_TRUE(b.follower);
  EXPECT_EQ(fetches.queued(), 1u);
  // A third distinct fetch is refused: no thread of its own, no queue beyond the bound.
  auto c = fetches.join_or_start("c", {}, get(stalling.url("/c")), finish_quietly);
  EXPECT_FALSE(c.follower);
  EXPECT_FALSE(c.stored);
  // A client of a fetch already in flight joins it, whatever the queue.
  auto a_again = fetches.join_or_start("a", {}, get(stalling.url("/a")), finish_quietly);
  ASSERT_TRUE(a_again.follower);
  EXPECT_EQ(&a_again.follower->flight(), &a.follower->flight());
  a_again.follower.reset();

  Outcome a_outcome(a.follower->flight()), b_outcome(b.follower->flight());
  a_client->mark_gone();
  b_client->mark_gone();
  const auto started = std::chrono::steady_clock::now();
  fetches.wait_idle();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_NE(a_outcome.wait().find("cancelled"), std::string::npos) << a_outcome.wait();
  EXPECT_NE(b_outcome.wait().find("cancelled before it started"), std::string::npos)
      << b_outcome.wait();
  EXPECT_EQ(util::dir_usage(h.store->layout().tmp_dir()).value().files, 0u);
}

TEST(Fetches, AKeptFetchRunsOnWithoutClients) {
  Harness h;
  LocalUpstream answering(true);
  cache::Fetches fetches(*h.store, h.fetcher, {}, {.workers = 1, .queue = 1});
  auto gone = std::make_shared<http::ClientPresence>();
  gone->mark_gone();
  auto kept = fetches.join_or_start("k", {gone, std::nullopt}, get(answering.url("/k")),
                                    finish_quietly, {}, std::nullopt, cache::Keep::until_done);
  ASSERT_TRUE(kept.follower);
  Outcome outcome(kept.follower->flight());
  EXPECT_EQ(outcome.wait(), "200");
}

TEST(Fetches, AnExceptionWhileFetchingFailsThatFetchAndTheWorkerGoesOn) {
  Harness h;
  LocalUpstream answering(true);
  std::vector<std::string> notices;
  std::mutex mutex;
  cache::Fetches fetches(*h.store, h.fetcher,
                         [&](const std::string& line) {
                           std::lock_guard lock(mutex);
                           notices.push_back(line);
                         },
                         {.workers = 1, .queue = 4});
  auto bad = fetches.join_or_start("bad", {}, get(answering.url("/bad")),
                                   [](cache::InFlight&, const upstream::ResponseHead&,
                                      std::int64_t) { throw std::runtime_error("a bug"); });
  ASSERT_TRUE(bad.follower);
  std::promise<bool> bad_end;
  bad.follower->flight().wait_for_end([&](bool whole) { bad_end.set_value(whole); });
  auto good = fetches.join_or_start("good", {}, get(answering.url("/good")), finish_quietly);
  ASSERT_TRUE(good.follower);
  std::promise<bool> good_end;
  good.follower->flight().wait_for_end([&](bool whole) { good_end.set_value(whole); });
  EXPECT_FALSE(bad_end.get_future().get());
  EXPECT_TRUE(good_end.get_future().get());
  EXPECT_TRUE(bad.follower->state().failed);
  std::lock_guard lock(mutex);
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices.front().find("a bug"), std::string::npos) << notices.front();
}

} // namespace
