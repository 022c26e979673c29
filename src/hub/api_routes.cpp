// The /api half of HubRoutes: repo info, tree listings and paths-info, recorded literally and
// served with Xet removed and the Hub's own URLs pointing back at hubcache.
#include "cache/exchange_key.hpp"
#include "cache/expectation.hpp"
#include "cache/forwarded_headers.hpp"
#include "cache/mirror_url.hpp"
#include "cache/responses.hpp"
#include "cache/side_requests.hpp"
#include "upstream/signed_url.hpp"
#include "hub/commit_listing.hpp"
#include "hub/listing.hpp"
#include "hub/routes.hpp"
#include "hub/xet.hpp"
#include "util/file.hpp"
#include "util/percent.hpp"

namespace hub {

namespace {

// Listings are small; anything bigger than this is not a listing hubcache transforms.
constexpr std::uint64_t k_max_listing_bytes = 64ull << 20;

std::optional<std::string> read_all(int fd, std::uint64_t size) {
  if (size > k_max_listing_bytes) return std::nullopt;
  auto text = util::read_text_at(fd, size);
  if (!text || text->size() != size) return std::nullopt;
  return std::move(*text);
}

// Listings are keyed by path and query, not by the upstream's origin: like the object model,
// a recording replays whichever --upstream names the Hub.
std::string api_key(const std::string& method, const upstream::Url& url, const std::string& scope) {
  auto key = cache::exchange_key(method, url, scope);
  key.erase(method.size() + 1, url.origin().size());
  return "hub-api " + key;
}

// The revision a listing asks about: the client means main when it names none (or "HEAD").
store::Revision branch_of(const Target& target) {
  static const auto k_main = store::Revision::parse("main").value();
  return !target.revision || *target.revision == "HEAD" ? k_main : *target.revision;
}

// Where the client's next request for a Link should go: hubcache itself, or, through the
// proxy, the Hub's own origin (the proxy sees that request too).
std::string own_origin(const http::Request& request) {
  if (!request.addressed_origin.empty()) return request.addressed_origin;
  return "http://" + request.header("Host").value_or("127.0.0.1");
}

} // namespace

http::Response HubRoutes::api_answer(int status, const util::Headers& headers,
                                     const std::string& body, const http::Request& request,
                                     const std::string& upstream_origin, std::string cache_result) {
  http::Response response;
  response.status = status;
  response.headers = rewrite_origin(strip_xet(util::without_hop_by_hop(headers)), upstream_origin,
                                    own_origin(request));
  util::remove_header(response.headers, "Content-Length");
  response.body = strip_xet_json(body);
  response.cache = std::move(cache_result);
  return response;
}

// Replay without a recording: the listing made from the commit's files. The list must be
// complete (commit_listing.hpp), or the answer would leave out files the store never held
// and still look whole to the client (issue 15): no complete list, no answer, a miss. The
// curated cases are the exception, where a lock or the refresh job's bucket says which files
// a client may see: there, the listing is made from those files, as they define the world.
std::optional<http::Response> HubRoutes::synthesized(const http::Request& request,
                                                     const Target& target,
                                                     const std::string& scope) {
  // Only a repo's listings can be made; any other /api/ question (whoami, agent-harnesses)
  // names no repo (a crash found in CI: the empty repo id was read).
  const bool listing_route = target.route == Route::repo_info || target.route == Route::tree ||
                             target.route == Route::paths_info;
  if (!listing_route || !target.repo_id) return std::nullopt;
  const auto commit = commit_of(target.type, *target.repo_id, branch_of(target), scope);
  if (!commit) return std::nullopt;
  auto files = m_store.index().hub_objects_at(target.type, *target.repo_id, *commit, scope, match());
  if (!files) return std::nullopt;
  std::string cache_result = "hit";
  CommitListing listing;
  if (m_options.lock || m_options.remote) {
    if (m_options.remote) {
      // The bucket knows every file the refresh job published at the commit; this node only
      // those read here so far.
      auto published = m_options.remote->files_at(target.type, *target.repo_id, *commit);
      if (!published) {
        if (m_notice) m_notice("remote tier: " + published.error().message);
      } else if (published->size() > files->size()) {
        files = std::move(*published);
        cache_result = "remote";
      }
    }
    if (m_options.lock) {
      std::erase_if(*files, [&](const store::HubObject& o) {
        return !m_options.lock->file(target.type, *target.repo_id, *commit, o.key.path);
      });
    }
    if (files->empty()) return std::nullopt;
    listing = listing_of(*files);
  } else {
    auto complete = find_commit_listing(m_store, target.type, *target.repo_id, *commit, scope);
    if (!complete) {
      if (m_notice) m_notice("store read failed, treating as a miss: " + complete.error().message);
      return std::nullopt;
    }
    if (!*complete) return std::nullopt;
    listing = std::move(**complete);
    add_details(listing, *files);
  }
  std::optional<std::string> body;
  switch (target.route) {
  case Route::repo_info:
    body = repo_info_json(target.type, *target.repo_id, *commit, listing, target.query);
    break;
  case Route::tree:
    body = tree_json(target.path ? target.path->str() : "", listing,
                     query_flag(target.query, "recursive"), query_flag(target.query, "expand"),
                     *commit);
    break;
  case Route::paths_info: {
    const auto query = parse_paths_info(request.body, request.header("Content-Type").value_or(""));
    if (!query) return std::nullopt;
    body = paths_info_json(*query, listing, *commit);
    break;
  }
  default: return std::nullopt;
  }
  if (!body) return std::nullopt;  // a file it would show is known by its path alone
  auto response = http::Response::text(200, std::move(*body), "application/json; charset=utf-8");
  response.headers.emplace_back("X-Repo-Commit", commit->str());
  response.cache = cache_result;
  return response;
}

// A stored listing as it goes out, with the pin that keeps its blob from being evicted while
// it is kept in memory.
struct HubRoutes::HotAnswer {
  std::shared_ptr<const store::Found<store::Exchange>> stored;
  http::Response response;  // without its cache label
};

util::Result<http::Response> HubRoutes::stored_answer(const store::Found<store::Exchange>& found,
                                                      const http::Request& request) {
  std::string body;
  if (found.body) {
    auto read = read_all(found.body->fd(), found.body->size());
    if (!read) return tl::unexpected(util::Error{util::Errc::io, "cannot read a listing"});
    body = std::move(*read);
  }
  // Links name the upstream the listing was recorded from, which may not be today's.
  const auto recorded_from = upstream::parse_url(found.entry.url);
  return api_answer(found.entry.status, found.entry.headers, body, request,
                    recorded_from ? recorded_from->origin() : m_upstream.origin(), "");
}

std::string HubRoutes::hot_answer_key(const std::string& key, const http::Request& request) {
  return key + '\0' + own_origin(request);
}

// As open_exchange(remote_first) decides, without reading the store: a bucket that cannot
// be asked, or has no answer, or the same one, leaves the local answer standing. On a thread
// that must not wait, only what the remote tier holds in memory counts (else: not known).
bool HubRoutes::kept_answer_is_the_buckets(const std::string& key, const http::Request& request) {
  const auto hot = m_hot_answers.find(hot_answer_key(key, request), m_store.exchange_generation());
  if (!hot) return false;
  if (!m_tiers.waits_here() && !m_options.remote->knows_exchange(key)) return false;
  const auto there = m_options.remote->find_exchange(key);
  if (!there || !*there) return true;
  const auto& local = (*hot)->stored->entry;
  return (*there)->blob == local.blob && (*there)->status == local.status;
}

std::optional<cache::StoredAnswer> HubRoutes::stored_api_answer(const std::string& key,
                                                                const http::Request& request,
                                                                const std::string& what) {
  const std::string hot_key = hot_answer_key(key, request);
  const auto labelled = [](std::shared_ptr<const HotAnswer> hot) -> cache::StoredAnswer {
    return [hot](std::string label) {
      http::Response response = hot->response;
      response.cache = std::move(label);
      return response;
    };
  };
  // Read before the store is: an answer recorded meanwhile makes the kept one stale at once.
  const auto generation = m_store.exchange_generation();
  if (auto hot = m_hot_answers.find(hot_key, generation)) return labelled(*hot);
  auto found = m_hot_answers.open_freeing([&] { return m_store.open_exchange(key); });
  if (!found) {
    m_tiers.recording().read_failed(found.error());
    return std::nullopt;
  }
  if (!*found) return std::nullopt;
  auto stored = std::make_shared<const store::Found<store::Exchange>>(std::move(**found));
  auto response = stored_answer(*stored, request);
  if (!response) {
    // Not the answer but a failure to read it: said once, never kept.
    return [this, what, error = response.error()](std::string) {
      return cache::upstream_failure(m_metrics, m_notice, what, error);
    };
  }
  auto hot = std::make_shared<const HotAnswer>(HotAnswer{stored, std::move(*response)});
  m_hot_answers.put(hot_key, hot, generation);
  return labelled(std::move(hot));
}

void HubRoutes::api(const http::Request& request, const Target& target, http::Respond respond) {
  if (target.route == Route::telemetry) {
    // Best-effort pings from the clients: answered here, never recorded or sent on.
    const auto* side = cache::match_side_request("GET", cache::SideHost::hub, "", "/api/telemetry/");
    auto response = http::Response::text(200, "");
    if (side) response = cache::offline_answer(*side);
    respond(std::move(response));
    return;
  }
  if (target.route == Route::xet_token) {
    auto response = http::Response::text(
        403, "{\"error\":\"hubcache serves files over plain HTTP: Xet is off through it\"}",
        "application/json");
    response.headers.emplace_back("X-Error-Message", "Xet is off through hubcache");
    respond(std::move(response));
    return;
  }
  const bool post = target.route == Route::paths_info;
  if (post ? request.method != "POST" : (request.method != "GET" && request.method != "HEAD")) {
    respond(http::Response::text(405, post ? "paths-info takes POST\n" : "GET and HEAD only\n"));
    return;
  }
  auto url = cache::mirror_url(m_upstream, request.target);
  if (!url) {
    respond(http::Response::text(400, url.error().message + "\n"));
    return;
  }
  const auto scope = m_scopes.of(request);
  const std::string url_text = upstream::redact_url(url->to_string());
  const std::string what = request.method + " " + url_text;
  std::string key = api_key(request.method == "HEAD" ? "GET" : request.method, *url, scope);
  if (post) {
    // The same question asked as a form or as JSON is one key.
    const auto query = parse_paths_info(request.body, request.header("Content-Type").value_or(""));
    if (!query) {
      respond(http::Response::text(400, "paths-info needs paths (form or JSON)\n"));
      return;
    }
    key += " expand=" + std::string(query->expand ? "true" : "false") + " paths=";
    for (const auto& path : query->paths) key += util::percent_encode(path) + ",";
  }

  const auto from_store = [this, request, what](const store::Found<store::Exchange>& found,
                                                std::string cache_result) -> http::Response {
    auto response = stored_answer(found, request);
    if (!response) return cache::upstream_failure(m_metrics, m_notice, what, response.error());
    response->cache = std::move(cache_result);
    return std::move(*response);
  };
  // Under a lock, listings are made from it, never the recorded ones (which may name
  // other commits and files).
  const bool from_lock = m_options.lock && (target.route == Route::repo_info ||
                                            target.route == Route::tree ||
                                            target.route == Route::paths_info);
  cache::Question question;
  question.what = what;
  question.head_only = request.method == "HEAD";
  question.ask_first = m_tiers.asks_first(request.headers);
  question.client = cache::Client::of(request);
  if (!from_lock) {
    question.lookup = [&] { return stored_api_answer(key, request, what); };
    // Listings may be about a branch the refresh job has moved since: the bucket's answer
    // wins over an older local copy, unless the one kept in memory is the bucket's.
    if (m_options.remote && !question.ask_first && !kept_answer_is_the_buckets(key, request)) {
      question.remote_first = true;
      question.remote = [&](const http::Respond& respond) {
        bool pulled = false;
        auto found = open_exchange(key, &pulled, /*remote_first=*/true);
        if (!pulled || !found || !*found) return false;
        respond(from_store(**found, "remote"));
        return true;
      };
    }
  }
  question.remote_tier = m_options.remote != nullptr;
  question.unrecorded = [&] {
    if (auto made = synthesized(request, target, scope)) return std::move(*made);
    if (m_notice) m_notice("replay miss: " + what);
    return from_lock ? cache::lock_refusal(m_metrics, what, m_options.lock_path)
                     : cache::replay_miss(m_metrics, what, m_options.record_hint);
  };
  question.fetch = [&] {
    cache::Fetch fetch;
    fetch.key = key;
    fetch.request.method = request.method == "HEAD" ? "GET" : request.method;
    fetch.request.url = *url;
    fetch.request.headers = cache::forwarded_headers(request.headers, cache::Upstream::hub);
    fetch.request.body = request.body;
    fetch.request.idempotent_post = post;  // paths-info only reads
    fetch.record = [this, method = fetch.request.method, url_text, target, scope](
                       cache::InFlight& f, const upstream::ResponseHead& head, std::int64_t ms) {
      record_api(f, head, method, url_text, target, scope, ms);
    };
    fetch.fetched = [this, request, what](const std::shared_ptr<cache::Follower>& follower,
                                          const upstream::ResponseHead& head, http::Respond respond) {
      // A listing is rewritten before it goes out, so it is sent once whole.
      follower->flight().wait_for_end([this, follower, respond, request, head, what](bool whole) {
        auto body = whole ? read_all(follower->fd(), follower->flight().received()) : std::nullopt;
        if (!body) {
          respond(cache::upstream_failure(
              m_metrics, m_notice, what,
              {util::Errc::upstream_unreachable, "the listing did not arrive whole"}));
          return;
        }
        respond(api_answer(head.status, head.headers, *body, request, m_upstream.origin(),
                           cache::is_storable_status(head.status) ? "stored" : "miss"));
      });
    };
    return fetch;
  };
  if (m_tiers.answer(question, respond) == cache::Answered::later) {
    m_tiers.later(std::move(respond), [this, request, target](http::Respond again) {
      api(request, target, std::move(again));
    });
  }
}

// Listings are recorded as the Hub sent them; Xet and URLs are dealt with on the way out, so
// a later hubcache can change how without re-recording.
void HubRoutes::record_api(cache::InFlight& flight, const upstream::ResponseHead& head,
                           const std::string& method, const std::string& url,
                           const Target& target, const std::string& scope,
                           std::int64_t upstream_ms) {
  if (!cache::is_storable_status(head.status)) {
    cache::Recording::pass_on(flight, upstream_ms);
    return;
  }
  auto& recording = m_tiers.recording();
  auto committed = recording.commit(flight, {head.content_length, std::nullopt}, url);
  if (!committed) return;
  store::Exchange exchange;
  exchange.key = flight.key();
  exchange.method = method;
  exchange.url = url;
  exchange.status = head.status;
  exchange.headers = cache::recordable_headers(head.headers);
  recording.stored(m_store.put(&*committed, exchange), flight, url);
  // Repo info names the commit a branch or tag is at: the object model learns the ref, so
  // a client that asks the API first and then resolves by sha can later resolve by name.
  const store::Revision revision = branch_of(target);
  if (target.route == Route::repo_info && head.status == 200 && !as_commit(revision)) {
    if (auto body = read_all(committed->fd(), committed->size())) {
      if (auto commit = store::CommitId::parse(repo_info_sha(*body))) {
        recording.noted(m_store.put(store::Ref{target.type, *target.repo_id, revision, *commit, 0, scope}), url);
      }
    }
  }
  if (head.status == 200 && !flight.unrecorded()) learn_listing(*committed, head, url, target, scope);
  flight.finish(std::move(*committed), upstream_ms);
}

// What makes a listing complete: repo info with its siblings, or the last page of a recursive
// listing of the root at a commit, whose earlier pages are recorded (a client follows the
// Links in order, so they are, unless evicted meanwhile). The list is what it names.
void HubRoutes::learn_listing(const store::BlobReader& body, const upstream::ResponseHead& head,
                              const std::string& url, const Target& target,
                              const std::string& scope) {
  std::optional<store::CommitId> commit;
  std::optional<CommitListing> listing;
  if (target.route == Route::repo_info) {
    const auto text = read_all(body.fd(), body.size());
    auto named = text ? listing_of_repo_info(*text) : std::nullopt;
    if (!named) return;
    commit = std::move(named->commit);
    listing = std::move(named->listing);
  } else if (target.route == Route::tree) {
    if ((target.path && !target.path->str().empty()) || !query_flag(target.query, "recursive") ||
        util::next_link(head.headers)) {
      return;
    }
    // At a branch, only the Hub's own word says which commit the pages were at.
    commit = as_commit(branch_of(target));
    if (!commit) commit = store::CommitId::parse(util::find_header(head.headers, "X-Repo-Commit").value_or(""));
    auto first = upstream::parse_url(url);
    if (!commit || !first) return;
    std::optional<upstream::Url> page = std::move(*first);
    // The first page is this URL without its cursor; each page's Link names the next.
    page->query = first_page_query(page->query);
    std::vector<std::string> pages;
    for (int n = 0; page; ++n) {
      if (n == 10'000) return;
      auto found = m_store.open_exchange(api_key("GET", *page, scope));
      if (!found || !*found || (*found)->entry.status != 200 || !(*found)->body) return;
      auto text = read_all((*found)->body->fd(), (*found)->body->size());
      if (!text) return;
      pages.push_back(std::move(*text));
      const auto next = util::next_link((*found)->entry.headers);
      page.reset();
      if (next) {
        auto parsed = upstream::parse_url(*next);
        if (!parsed) return;
        page = std::move(*parsed);
      }
    }
    listing = listing_of_tree_pages(pages);
  }
  if (!commit || !listing) return;
  if (auto r = put_commit_listing(m_store, target.type, *target.repo_id, *commit, scope, *listing);
      !r && m_notice) {
    m_notice("not stored: the file list at " + commit->str() + ": " + r.error().message);
  }
}

} // namespace hub
