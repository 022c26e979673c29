#include "cache/cache.hpp"

#include "cache/body_key.hpp"
#include "cache/exchange_key.hpp"
#include "cache/expectation.hpp"
#include "cache/forwarded_headers.hpp"
#include "cache/git_lfs.hpp"
#include "upstream/signed_url.hpp"
#include "cache/remote_source.hpp"
#include "cache/responses.hpp"
#include "util/file.hpp"
#include "util/hex.hpp"

namespace cache {

bool is_storable_status(int status) {
  return status < 500 && status != 206 && status != 408 && status != 429 && status >= 200;
}

util::Headers recordable_headers(const util::Headers& headers) {
  auto out = util::without_hop_by_hop(headers);
  util::remove_header(out, "Set-Cookie");
  return out;
}

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

Cache::Cache(CacheOptions options, store::Store& store, Fetches& fetches,
             const CredentialScopes& scopes, util::Metrics& metrics, Notice notice)
    : m_options(std::move(options)), m_store(store), m_fetches(fetches), m_scopes(scopes),
      m_metrics(metrics), m_notice(notice), m_hot(m_options.hot_entries),
      m_tiers(m_options.mode, store, fetches, metrics, std::move(notice), m_options.lookups) {}

std::optional<Cache::Stored> Cache::lookup(const std::string& key,
                                           const std::string& fallback_key) {
  for (const auto* candidate : {&key, &fallback_key}) {
    if (auto hot = m_hot.find(*candidate)) {
      if (auto r = m_store.note_exchange_use(*candidate); !r && m_notice) {
        m_notice(r.error().message);
      }
      return hot;
    }
    // Out of descriptors, most likely (EMFILE): the hot entries hold many, and dropping them
    // is cheaper than answering 500 (issue 14). Once: another failure is a real one.
    auto found = m_hot.open_freeing([&] { return m_store.open_exchange(*candidate); }, [this] {
      m_metrics.counter("hubcache_hot_entries_dropped_total",
                        "Times the hot entries were dropped to free descriptors")
          .add();
    });
    if (!found) {
      m_tiers.recording().read_failed(found.error());
      return std::nullopt;
    }
    if (*found) {
      Stored stored{std::make_shared<const store::Exchange>(std::move((*found)->entry)), nullptr};
      if ((*found)->body) {
        stored.body = std::make_shared<const store::BlobReader>(std::move(*(*found)->body));
      }
      m_hot.put(*candidate, stored);
      return stored;
    }
    if (fallback_key == key) break;
  }
  return std::nullopt;
}

bool Cache::from_remote(const std::string& key, const std::string& fallback_key, bool head_only,
                        const std::string& what, const Client& client, const http::Respond& respond) {
  auto& remote = *m_options.remote;
  std::optional<store::Exchange> exchange;
  for (const auto* candidate : {&key, &fallback_key}) {
    auto found = remote.find_exchange(*candidate);
    if (!found) {
      if (m_notice) m_notice("remote tier: " + found.error().message);
      return false;
    }
    if (*found) {
      exchange = std::move(**found);
      break;
    }
    if (fallback_key == key) break;
  }
  if (!exchange) return false;
  m_hot.erase(exchange->key);
  if (!exchange->blob) {
    if (auto put = m_store.put(nullptr, *exchange); !put && m_notice) {
      m_notice("not stored: " + put.error().message);
    }
    if (auto now = lookup(exchange->key, exchange->key)) {
      respond(from_store(*now, "remote"));
      return true;
    }
    return false;
  }
  KnownContent known;
  known.content = {*exchange->blob, exchange->body_size,
                   [this, row = *exchange](const store::BlobReader& body) { return m_store.put(&body, row); }};
  known.status = exchange->status;
  known.headers = exchange->headers;
  known.from_remote = true;
  known.source = remote_source(remote, *exchange->blob);
  known.stored_answer = [this, row_key = exchange->key](const std::shared_ptr<const store::BlobReader>&,
                                                        std::string label) {
    m_hot.erase(row_key);
    if (auto now = lookup(row_key, row_key)) return from_store(*now, std::move(label));
    return http::Response::text(500, "hubcache: the store lost an answer it just wrote\n");
  };
  m_tiers.serve_content(known, head_only, what, client, respond);
  return true;
}

http::Response Cache::from_store(const Stored& stored, std::string cache_result) {
  http::Response response;
  response.status = stored.entry->status;
  response.headers = stored.entry->headers;
  response.cache = std::move(cache_result);
  if (stored.body) {
    response.body = http::FileBody{stored.body->fd(), stored.body->size(), stored.body};
    if (is_git_lfs_json(response.headers) && stored.body->size() <= k_max_git_lfs_json) {
      auto text = util::read_text_at(stored.body->fd(), stored.body->size());
      if (auto served = text ? without_lfs_expiry(*text) : std::nullopt) response.body = *served;
    }
  }
  return response;
}

http::Response Cache::from_upstream(const std::shared_ptr<Follower>& follower,
                                    const upstream::ResponseHead& head, bool head_only) {
  http::Response response;
  response.status = head.status;
  response.headers = util::without_hop_by_hop(head.headers);
  response.cache = is_storable_status(head.status) && !varies_beyond_key(head.headers) ? "stored" : "miss";
  if (!head_only) {
    response.body = std::static_pointer_cast<http::GrowingBody>(follower);
  } else if (head.content_length) {
    util::set_header(response.headers, "Content-Length", std::to_string(*head.content_length));
  }
  return response;
}

// Invariant (DESIGN.md): a blob is visible only when complete and checked. commit() verifies
// the length and the announced sha256 before the blob gets its name; only then is it indexed
// and are clients given the last byte.
void Cache::record(InFlight& flight, const upstream::ResponseHead& head, const std::string& method,
                   const std::string& url, std::int64_t upstream_ms) {
  // An answer that depends on more than its key is served to the one who asked, never
  // recorded for the others (issue 14).
  if (!is_storable_status(head.status) || varies_beyond_key(head.headers)) {
    Recording::pass_on(flight, upstream_ms);
    return;
  }
  auto& recording = m_tiers.recording();
  store::Exchange exchange;
  exchange.key = flight.key();
  exchange.method = method;
  exchange.url = url;
  exchange.status = head.status;
  exchange.headers = recordable_headers(head.headers);
  m_hot.erase(exchange.key);
  if (method == "HEAD") {
    recording.noted(m_store.put(nullptr, exchange), url);
    Recording::pass_on(flight, upstream_ms);
    return;
  }
  auto committed = recording.commit(flight, {head.content_length, announced_sha256(head)}, url);
  if (!committed) return;
  // What a client vouched for (X-Hubcache-Expect-Sha256) is about the entity, a 200's body.
  const auto expectations = head.status == 200 ? Expectations::apply : Expectations::ignore;
  if (expectations == Expectations::ignore || !recording.vouched_against(flight, committed->digest(), url)) {
    recording.stored(m_store.put(&*committed, exchange), flight, url);
  }
  flight.finish(std::move(*committed), upstream_ms, expectations);
}

bool Cache::holds_origin(const upstream::Url& origin) {
  for (const char* method : {"GET", "HEAD", "POST"}) {
    auto held = m_store.index().has_exchange_with_prefix(origin_key_prefix(method, origin));
    if (!held) {
      if (m_notice) m_notice("store read failed: " + held.error().message);
      return false;
    }
    if (*held) return true;
  }
  return false;
}

void Cache::handle(const http::Request& request, const upstream::Url& url, http::Respond respond) {
  const bool head_only = request.method == "HEAD";
  // A presigned URL's signature scopes what it fetched like a token does, unless the
  // operator shares private answers (--share-private): then any signature of the URL will do.
  const auto scope = m_options.share_private ? m_scopes.of(request) : m_scopes.of(request, url);
  const auto variant = variant_key(request.headers, request.method);
  auto key = exchange_key(request.method, url, scope, m_options.ignored_query) + variant;
  // A POST (an API call, a search, git's upload-pack, git-lfs's batch) is answered per body.
  if (request.method == "POST") key += body_key(request.headers, request.body);
  const auto get_key =
      head_only ? exchange_key("GET", url, scope, m_options.ignored_query) + variant : key;
  // What may be written of the URL: no signature, no token (issue 14).
  const std::string url_text = upstream::redact_url(url.to_string());
  const std::string what = request.method + " " + url_text;
  const auto expected = expected_sha256(request.headers);
  if (!expected) {
    respond(http::Response::text(400, expected.error().message + "\n"));
    return;
  }

  if (m_options.locked_keys &&
      (request.method == "POST" ||
       !m_options.locked_keys->count(exchange_key("GET", url, {}, m_options.ignored_query)))) {
    respond(lock_refusal(m_metrics, what, m_options.lock_path));
    return;
  }
  // Only a GET's body is vouched for: a HEAD has none, and preload asks GETs.
  Question question;
  question.what = what;
  question.head_only = head_only;
  question.ask_first = m_tiers.asks_first(request.headers);
  question.client = Client::of(request, head_only ? std::nullopt : *expected);
  question.lookup = [&]() -> std::optional<StoredAnswer> {
    auto stored = lookup(key, get_key);
    if (!stored) return std::nullopt;
    return [this, stored = std::move(*stored)](std::string label) { return from_store(stored, std::move(label)); };
  };
  if (m_options.remote) {
    question.remote_tier = true;
    question.remote = [&](const http::Respond& respond) {
      return from_remote(key, get_key, head_only, what, Client::of(request), respond);
    };
  }
  question.unrecorded = [&] {
    if (m_notice) m_notice("replay miss: " + what);
    return replay_miss(m_metrics, what, m_options.record_hint);
  };
  question.fetch = [&] {
    Fetch fetch;
    fetch.key = key;
    fetch.request.method = request.method;
    fetch.request.url = url;
    fetch.request.headers = forwarded_headers(request.headers, Upstream::origin);
    fetch.request.body = request.body;  // a POST's; retried only if the fetcher deems it safe (never)
    fetch.record = [this, method = request.method, url_text](InFlight& f, const upstream::ResponseHead& head,
                                                             std::int64_t ms) {
      record(f, head, method, url_text, ms);
    };
    if (request.method == "GET") fetch.resumable = *expected;
    // A HEAD rides along with a GET of the same URL already in flight.
    if (head_only) fetch.get_key = get_key;
    fetch.fetched = [this, head_only](const std::shared_ptr<Follower>& follower,
                                      const upstream::ResponseHead& head, http::Respond respond) {
      respond(from_upstream(follower, head, head_only));
    };
    return fetch;
  };
  if (m_tiers.answer(question, respond) == Answered::later) {
    m_tiers.later(std::move(respond), [this, request, url](http::Respond again) {
      handle(request, url, std::move(again));
    });
  }
}

} // namespace cache
