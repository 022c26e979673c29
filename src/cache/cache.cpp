#include "cache/cache.hpp"

#include "cache/body_key.hpp"
#include "cache/exchange_key.hpp"
#include "cache/expectation.hpp"
#include "cache/forwarded_headers.hpp"
#include "cache/git_lfs.hpp"
#include "upstream/signed_url.hpp"
#include "cache/remote_fill.hpp"
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
      m_metrics(metrics), m_notice(std::move(notice)), m_hot(m_options.hot_entries) {}

std::optional<Cache::Stored> Cache::lookup(const std::string& key,
                                           const std::string& fallback_key) {
  for (const auto* candidate : {&key, &fallback_key}) {
    if (auto hot = m_hot.find(*candidate)) {
      if (auto r = m_store.note_exchange_use(*candidate); !r && m_notice) {
        m_notice(r.error().message);
      }
      return hot;
    }
    auto found = m_store.open_exchange(*candidate);
    // Out of descriptors, most likely (EMFILE): the hot entries hold many, and dropping them
    // is cheaper than answering 500 (issue 14). Once: another failure is a real one.
    if (!found && found.error().code == util::Errc::io && m_hot.clear() > 0) {
      m_metrics.counter("hubcache_hot_entries_dropped_total",
                        "Times the hot entries were dropped to free descriptors")
          .add();
      found = m_store.open_exchange(*candidate);
    }
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
      m_hot.put(*candidate, stored);
      return stored;
    }
    if (fallback_key == key) break;
  }
  return std::nullopt;
}

bool Cache::try_remote(const std::string& key, const std::string& fallback_key, bool head_only,
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
  // No body, or a body this node already holds: filed locally at once.
  std::optional<store::BlobReader> local;
  if (exchange->blob) {
    auto open = m_store.blobs().open(*exchange->blob);
    if (open && *open) local = std::move(**open);
  }
  if (!exchange->blob || local) {
    if (auto put = m_store.put(local ? &*local : nullptr, *exchange); !put && m_notice) {
      m_notice("not stored: " + put.error().message);
    }
    if (auto now = lookup(exchange->key, exchange->key)) {
      respond(from_store(*now, "remote"));
      return true;
    }
    return false;
  }
  if (head_only) {
    http::Response response;
    response.status = exchange->status;
    response.headers = exchange->headers;
    util::set_header(response.headers, "Content-Length", std::to_string(exchange->body_size));
    response.cache = "remote";
    respond(std::move(response));
    return true;
  }
  auto follower = start_remote_fill(
      m_fetches, remote, *exchange->blob, exchange->body_size,
      [this, row = *exchange](const store::BlobReader& body) {
        if (auto put = m_store.put(&body, row); !put && m_notice) m_notice("not stored: " + put.error().message);
      },
      m_metrics, m_notice, client);
  if (!follower) {
    respond(fetch_queue_full(m_metrics));
    return true;
  }
  respond_remote(follower, exchange->status, exchange->headers, m_metrics, m_notice, what, respond);
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
    flight.finish(std::nullopt, upstream_ms);
    flight.writer().discard();
    return;
  }
  store::Exchange exchange;
  exchange.key = flight.key();
  exchange.method = method;
  exchange.url = url;
  exchange.status = head.status;
  exchange.headers = recordable_headers(head.headers);
  m_hot.erase(exchange.key);
  if (method == "HEAD") {
    if (auto r = m_store.put(nullptr, exchange); !r && m_notice) {
      m_notice("not stored: " + url + ": " + r.error().message);
    }
    flight.finish(std::nullopt, upstream_ms);
    flight.writer().discard();
    return;
  }
  auto committed = flight.commit({head.content_length, announced_sha256(head)});
  if (!committed) {
    m_metrics
        .counter("hubcache_integrity_failures_total",
                 "Upstream bodies refused: wrong length or sha256")
        .add();
    if (m_notice) m_notice("not stored: " + url + ": " + committed.error().message);
    flight.fail(committed.error());
    return;
  }
  // What a client vouched for (X-Hubcache-Expect-Sha256) is about the entity, a 200's body.
  const auto expectations = head.status == 200 ? Expectations::apply : Expectations::ignore;
  if (expectations == Expectations::apply && flight.expectation_violated(committed->digest())) {
    m_metrics
        .counter("hubcache_integrity_failures_total",
                 "Upstream bodies refused: wrong length or sha256")
        .add();
    if (m_notice) {
      m_notice("not stored: " + url + ": a client expected another sha256 than " +
               committed->digest().hex());
    }
    flight.mark_unrecorded();
  } else if (auto r = m_store.put(&*committed, exchange); !r) {
    m_metrics.counter("hubcache_store_errors_total", "Store reads or writes that failed").add();
    if (m_notice) m_notice("not stored: " + url + ": " + r.error().message);
    flight.mark_unrecorded();
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
  const bool ask_first = m_options.mode == Mode::refresh ||
                         (m_options.mode == Mode::record && wants_refresh(request.headers));
  auto stored = lookup(key, get_key);
  if (stored && !ask_first) {
    respond(from_store(*stored, "hit"));
    return;
  }
  // Only a GET's body is vouched for: a HEAD has none, and preload asks GETs.
  const Client client = Client::of(request, head_only ? std::nullopt : *expected);
  if (!stored && !ask_first && m_options.remote &&
      try_remote(key, get_key, head_only, what, Client::of(request), respond)) {
    return;
  }
  if (m_options.mode == Mode::replay) {
    if (m_notice) m_notice("replay miss: " + what);
    respond(replay_miss(m_metrics, what, m_options.record_hint));
    return;
  }

  upstream::FetchRequest fetch;
  fetch.method = request.method;
  fetch.url = url;
  fetch.headers = forwarded_headers(request.headers, Upstream::origin);
  fetch.body = request.body;  // a POST's; retried only if the fetcher deems it safe (never)
  // A HEAD rides along with a GET of the same URL already in flight.
  std::shared_ptr<Follower> follower = head_only ? m_fetches.follow(get_key, client) : nullptr;
  // A HEAD fetched as a HEAD is answered once it is recorded, so the client's next request is
  // a hit (it has no body to stream meanwhile).
  const bool answer_when_recorded = head_only && !follower;
  if (!follower) {
    // A fetch of the same key may have ended since the lookup above: then it is a hit now.
    std::function<bool()> stored_meanwhile;
    if (!ask_first) {
      stored_meanwhile = [&] { return lookup(key, get_key).has_value(); };
    }
    auto joined = m_fetches.join_or_start(
        key, client, fetch,
        [this, method = request.method, url_text](
            InFlight& f, const upstream::ResponseHead& head, std::int64_t ms) {
          record(f, head, method, url_text, ms);
        },
        stored_meanwhile, request.method == "GET" ? *expected : std::nullopt);
    if (joined.stored) {
      if (auto now = lookup(key, get_key)) {
        respond(from_store(*now, "hit"));
        return;
      }
    }
    follower = joined.follower;
  }
  if (!follower) {
    respond(fetch_queue_full(m_metrics));
    return;
  }
  std::optional<Stored> fallback = std::move(stored);
  follower->flight().wait_for_head([this, follower, respond, head_only, fallback, what,
                                     answer_when_recorded](const upstream::ResponseHead* head,
                                                           const util::Error* error) {
    if (fallback && upstream_failed(head)) {
      count_stale_answer(m_metrics);
      respond(from_store(*fallback, "stale"));
      return;
    }
    if (!head) {
      respond(upstream_failure(m_metrics, m_notice, what, *error));
      return;
    }
    if (answer_when_recorded) {
      follower->flight().wait_for_end([this, follower, respond, head = *head](bool) {
        respond(from_upstream(follower, head, /*head_only=*/true));
      });
      return;
    }
    respond(from_upstream(follower, *head, head_only));
  });
}

} // namespace cache
