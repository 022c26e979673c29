#include "cache/cache.hpp"

#include "cache/exchange_key.hpp"
#include "util/hex.hpp"

#include <array>
#include <fcntl.h>
#include <random>
#include <stdexcept>
#include <thread>

namespace cache {

namespace {

std::string random_hex(std::size_t bytes) {
  std::random_device device;
  std::vector<std::uint8_t> data(bytes);
  for (auto& b : data) b = static_cast<std::uint8_t>(device());
  return util::to_hex(data);
}

// Headers worth keeping: the upstream's end-to-end headers, minus cookies it set for the
// client that happened to be recording.
util::Headers recordable(const util::Headers& headers) {
  auto out = util::without_hop_by_hop(headers);
  util::remove_header(out, "Set-Cookie");
  return out;
}

// The sha256 the upstream vouched for, if any: the Hub's X-Linked-Etag of an LFS file, on
// the final answer or on a redirect on the way there.
std::optional<util::Sha256> announced_sha256(const upstream::ResponseHead& head) {
  auto check = [](const util::Headers& headers) -> std::optional<util::Sha256> {
    const auto etag = util::find_header(headers, "X-Linked-Etag");
    if (!etag) return std::nullopt;
    const auto normalized = util::normalize_etag(*etag);
    if (!util::is_lower_hex(normalized, 64)) return std::nullopt;
    return util::Sha256::from_hex(normalized);
  };
  if (auto digest = check(head.headers)) return digest;
  for (const auto& hop : head.redirects) {
    if (auto digest = check(hop.headers)) return digest;
  }
  return std::nullopt;
}

} // namespace

bool is_storable_status(int status) {
  return status < 500 && status != 206 && status != 408 && status != 429 && status >= 200;
}

Cache::Cache(CacheOptions options, store::Store& store, upstream::Fetcher& fetcher,
             util::Metrics& metrics, Notice notice)
    : m_options(std::move(options)), m_store(store), m_fetcher(fetcher), m_metrics(metrics),
      m_notice(std::move(notice)) {
  auto salt = m_store.index().meta_or_insert("credential_salt", random_hex(32));
  if (!salt) throw std::runtime_error(salt.error().message);
  m_salt = *salt;
  m_hot_sweeper = std::thread([this] { sweep_hot_loop(); });
}

Cache::~Cache() {
  stop();
  {
    std::lock_guard lock(m_hot_mutex);
    m_hot_stopping = true;
  }
  m_hot_stop.notify_all();
  m_hot_sweeper.join();
}

void Cache::stop() {
  std::unique_lock lock(m_mutex);
  m_idle.wait(lock, [this] { return m_threads == 0; });
}

std::optional<Cache::Stored> Cache::lookup_hot(const std::string& key) {
  Stored stored;
  {
    std::lock_guard lock(m_hot_mutex);
    const auto it = m_hot.find(key);
    if (it == m_hot.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() - it->second.loaded > k_hot_ttl) {
      m_hot.erase(it);
      return std::nullopt;
    }
    stored = it->second.stored;
  }
  if (auto r = m_store.note_exchange_use(key); !r && m_notice) m_notice(r.error().message);
  return stored;
}

void Cache::sweep_hot_loop() {
  std::unique_lock lock(m_hot_mutex);
  while (!m_hot_stopping) {
    m_hot_stop.wait_for(lock, k_hot_ttl);
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(m_hot, [&](const auto& item) { return now - item.second.loaded > k_hot_ttl; });
  }
}

std::optional<Cache::Stored> Cache::lookup(const std::string& key,
                                           const std::string& fallback_key) {
  for (const auto* candidate : {&key, &fallback_key}) {
    if (auto hot = lookup_hot(*candidate)) return hot;
    auto found = m_store.open_exchange(*candidate);
    if (!found) {
      m_metrics.counter("hubcache_store_errors_total", "Store reads or writes that failed").add();
      if (m_notice) m_notice("store read failed, treating as a miss: " + found.error().message);
      return std::nullopt;
    }
    if (*found) {
      Stored stored{std::make_shared<const store::Exchange>(std::move((*found)->entry)), nullptr};
      if ((*found)->body) {
        stored.body = std::make_shared<const store::BlobReader>(std::move(*(*found)->body));
      }
      std::lock_guard lock(m_hot_mutex);
      if (m_hot.size() >= 10'000) m_hot.clear();  // a bound, not an LRU: refilled in a second
      m_hot[*candidate] = {stored, std::chrono::steady_clock::now()};
      return stored;
    }
    if (fallback_key == key) break;
  }
  return std::nullopt;
}

http::Response Cache::from_store(const Stored& stored, std::string cache_result) {
  http::Response response;
  response.status = stored.entry->status;
  response.headers = stored.entry->headers;
  response.cache = std::move(cache_result);
  if (stored.body) {
    response.body = http::FileBody{stored.body->fd(), stored.body->size(), stored.body};
  }
  return response;
}

http::Response Cache::from_upstream(const std::shared_ptr<InFlight>& flight,
                                    const upstream::ResponseHead& head, bool head_only) {
  http::Response response;
  response.status = head.status;
  response.headers = util::without_hop_by_hop(head.headers);
  response.cache = is_storable_status(head.status) ? "stored" : "miss";
  if (!head_only) {
    response.body = std::static_pointer_cast<http::GrowingBody>(flight);
  } else if (head.content_length) {
    util::set_header(response.headers, "Content-Length", std::to_string(*head.content_length));
  }
  return response;
}

http::Response Cache::replay_miss(const std::string& method, const std::string& url) {
  m_metrics.counter("hubcache_replay_misses_total", "Requests replay mode could not answer").add();
  if (m_notice) m_notice("replay miss: " + method + " " + url);
  auto response = http::Response::text(
      504, "hubcache: not recorded (replay mode): " + method + " " + url + "\nTo record it, " +
               m_options.record_hint + ".\n");
  response.cache = "miss";
  return response;
}

http::Response Cache::upstream_error(const util::Error& error) {
  m_metrics
      .counter("hubcache_upstream_failures_total", "Requests the upstream could not answer")
      .add();
  const int status = error.code == util::Errc::timeout ? 504
                     : error.code == util::Errc::io   ? 500
                                                      : 502;
  auto response = http::Response::text(status, "hubcache: upstream failed: " + error.message + "\n");
  response.cache = "miss";
  return response;
}

std::shared_ptr<InFlight> Cache::join_or_start(const std::string& key, const std::string& method,
                                               const upstream::FetchRequest& fetch,
                                               bool& started) {
  std::lock_guard lock(m_mutex);
  started = false;
  if (auto it = m_in_flight.find(key); it != m_in_flight.end()) return it->second;
  auto writer = m_store.begin_blob();
  if (!writer) {
    if (m_notice) m_notice("cannot start a blob: " + writer.error().message);
    return nullptr;
  }
  util::UniqueFd read_fd(::open(writer->tmp_path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!read_fd) {
    if (m_notice) m_notice("cannot read back " + writer->tmp_path().string());
    return nullptr;
  }
  auto flight = std::make_shared<InFlight>(key, std::move(*writer), std::move(read_fd));
  m_in_flight.emplace(key, flight);
  ++m_threads;
  started = true;
  std::thread([this, flight, fetch, method, url = fetch.url.to_string()] {
    run_fetch(flight, fetch, method, url);
  }).detach();
  return flight;
}

void Cache::run_fetch(std::shared_ptr<InFlight> flight, upstream::FetchRequest fetch,
                      std::string method, std::string url) {
  auto result = m_fetcher.fetch(fetch, *flight);
  if (!result) {
    flight->fail(result.error());
  } else if (auto head = flight->head()) {
    record(*flight, *head, method, url, result->elapsed.count());
  } else {
    flight->fail(util::Error{util::Errc::upstream_unreachable, "upstream gave no answer"});
  }
  std::lock_guard lock(m_mutex);
  if (auto it = m_in_flight.find(flight->key()); it != m_in_flight.end() && it->second == flight) {
    m_in_flight.erase(it);
  }
  if (--m_threads == 0) m_idle.notify_all();
}

// Invariant (DESIGN.md): a blob is visible only when complete and checked. commit() verifies
// the length and the announced sha256 before the blob gets its name; only then is it indexed
// and are clients given the last byte.
void Cache::record(InFlight& flight, const upstream::ResponseHead& head, const std::string& method,
                   const std::string& url, std::int64_t upstream_ms) {
  if (!is_storable_status(head.status)) {
    flight.finish(std::nullopt, upstream_ms);
    flight.writer().abort();
    return;
  }
  store::Exchange exchange;
  exchange.key = flight.key();
  exchange.method = method;
  exchange.url = url;
  exchange.status = head.status;
  exchange.headers = recordable(head.headers);
  {
    std::lock_guard lock(m_hot_mutex);
    m_hot.erase(exchange.key);
  }
  if (method == "HEAD") {
    if (auto r = m_store.put(nullptr, exchange); !r && m_notice) {
      m_notice("not stored: " + url + ": " + r.error().message);
    }
    flight.finish(std::nullopt, upstream_ms);
    flight.writer().abort();
    return;
  }
  auto committed = flight.writer().commit({head.content_length, announced_sha256(head)});
  if (!committed) {
    m_metrics
        .counter("hubcache_integrity_failures_total",
                 "Upstream bodies refused: wrong length or sha256")
        .add();
    if (m_notice) m_notice("not stored: " + url + ": " + committed.error().message);
    flight.fail(committed.error());
    return;
  }
  if (auto r = m_store.put(&*committed, exchange); !r) {
    m_metrics.counter("hubcache_store_errors_total", "Store reads or writes that failed").add();
    if (m_notice) m_notice("not stored: " + url + ": " + r.error().message);
  }
  flight.finish(std::move(*committed), upstream_ms);
}

void Cache::handle(const http::Request& request, const upstream::Url& url, http::Respond respond) {
  const bool head_only = request.method == "HEAD";
  const auto scope = credential_scope(m_salt, request.header("Authorization").value_or(""),
                                      request.header("Cookie").value_or(""));
  const auto key = exchange_key(request.method, url, scope, m_options.ignored_query);
  const auto get_key = head_only ? exchange_key("GET", url, scope, m_options.ignored_query) : key;

  auto stored = lookup(key, get_key);
  if (stored && m_options.mode != Mode::refresh) {
    respond(from_store(*stored, "hit"));
    return;
  }
  if (m_options.mode == Mode::replay) {
    respond(replay_miss(request.method, url.to_string()));
    return;
  }

  upstream::FetchRequest fetch;
  fetch.method = request.method;
  fetch.url = url;
  fetch.headers = util::without_hop_by_hop(request.headers);
  bool started = false;
  // A HEAD rides along with a GET of the same URL already in flight.
  std::shared_ptr<InFlight> flight;
  if (head_only) {
    std::lock_guard lock(m_mutex);
    if (auto it = m_in_flight.find(get_key); it != m_in_flight.end()) flight = it->second;
  }
  if (!flight) flight = join_or_start(key, request.method, fetch, started);
  if (!flight) {
    respond(upstream_error({util::Errc::io, "the store cannot take a new blob"}));
    return;
  }
  std::optional<Stored> fallback = std::move(stored);
  flight->wait_for_head([this, flight, respond, head_only, fallback](
                            const upstream::ResponseHead* head, const util::Error* error) {
    const bool upstream_failed = !head || head->status >= 500 || head->status == 429;
    if (fallback && upstream_failed) {
      m_metrics.counter("hubcache_stale_answers_total", "Refresh mode answers from the store "
                                                        "because the upstream failed").add();
      respond(from_store(*fallback, "stale"));
      return;
    }
    if (!head) {
      respond(upstream_error(*error));
      return;
    }
    respond(from_upstream(flight, *head, head_only));
  });
}

} // namespace cache
