#include "hub/routes.hpp"

#include "cache/exchange_key.hpp"
#include "cache/expectation.hpp"
#include "cache/forwarded_headers.hpp"
#include "cache/mirror_route.hpp"
#include "cache/mirror_url.hpp"
#include "cache/remote_source.hpp"
#include "cache/responses.hpp"
#include "cache/side_requests.hpp"
#include "upstream/signed_url.hpp"
#include "hub/file_content.hpp"
#include "hub/file_list.hpp"
#include "hub/file_meta.hpp"
#include "hub/xet.hpp"
#include "util/json_line.hpp"
#include "util/percent.hpp"

namespace hub {

HubRoutes::HubRoutes(HubOptions options, store::Store& store, cache::Fetches& fetches,
                     const cache::CredentialScopes& scopes, util::Metrics& metrics,
                     cache::Notice notice, upstream::Url upstream)
    : m_options(std::move(options)), m_store(store), m_fetches(fetches), m_scopes(scopes),
      m_metrics(metrics), m_notice(notice), m_upstream(std::move(upstream)),
      m_tiers(m_options.mode, store, fetches, metrics, std::move(notice), m_options.lookups),
      m_hot(store, m_options.hot_files), m_hot_answers(m_options.hot_listings) {}

store::CredentialMatch HubRoutes::match() const {
  return m_options.share_private ? store::CredentialMatch::any : store::CredentialMatch::exact;
}

void HubRoutes::handle(const http::Request& request, const Target& target, http::Respond respond) {
  if (target.route == Route::resolve) {
    resolve(request, target.file(), std::move(respond));
  } else {
    api(request, target, std::move(respond));
  }
}

// What the Hub answered about a (revision, path) when it was not a file: 404 EntryNotFound,
// 401/403 GatedRepo, RepoNotFound... recorded per revision, and per commit when it said one.
std::string HubRoutes::answer_key(const FileTarget& target, std::string_view revision,
                                  const std::string& scope) const {
  return "hub-resolve " + std::string(store::to_string(target.type)) + " " + target.repo_id.str() +
         " " + std::string(revision) + " " + target.path.str() +
         (scope.empty() ? "" : " credential=" + scope);
}

bool HubRoutes::ref_answers_here(store::RepoType type, const store::RepoId& repo_id,
                                 const store::Revision& revision) const {
  return !m_options.remote || m_options.lock || as_commit(revision).has_value() || m_tiers.waits_here() ||
         m_options.remote->knows_ref(type, repo_id, revision);
}

std::optional<store::CommitId> HubRoutes::commit_of(store::RepoType type, const store::RepoId& repo_id,
                                                    const store::Revision& revision,
                                                    const std::string& scope) {
  if (auto commit = as_commit(revision)) return commit;
  if (m_options.lock) return m_options.lock->commit_of(type, repo_id, revision);
  if (m_options.remote) {
    // The bucket's refs are the fleet's truth; the local copy answers while it is away.
    auto remote = m_options.remote->find_ref(type, repo_id, revision);
    if (!remote) {
      if (m_notice) m_notice("remote tier: " + remote.error().message);
    } else if (*remote) {
      auto local = m_hot.commit_of(type, repo_id, revision, scope, store::CredentialMatch::exact);
      if (local && (!*local || **local != (*remote)->commit)) {
        store::Ref copy = **remote;
        copy.credential = scope;
        copy.learned_at = 0;
        if (auto put = m_store.put(copy); !put && m_notice) m_notice("not stored: " + put.error().message);
      }
      return (*remote)->commit;
    }
  }
  auto commit = m_hot.commit_of(type, repo_id, revision, scope, match());
  if (!commit) {
    m_tiers.recording().read_failed(commit.error());
    return std::nullopt;
  }
  return *commit;
}

http::Response HubRoutes::gated(store::RepoType type, const store::RepoId& repo_id) {
  const std::string message =
      "Access to " + std::string(store::to_string(type)) + " " + repo_id.str() +
      " is restricted: hubcache recorded it for another credential. Send the same token, or "
      "start hubcache with --share-private.";
  auto response = http::Response::text(401, util::JsonLine().add("error", message).str(),
                                       "application/json");
  response.headers.emplace_back("X-Error-Code", "GatedRepo");
  response.headers.emplace_back("X-Error-Message", message);
  response.cache = "miss";
  return response;
}

// What the Hub answers for a path that does not exist at a commit.
http::Response HubRoutes::entry_not_found(const FileTarget& target, const store::CommitId& commit) {
  const std::string message = target.path.str() + " does not exist on \"" + target.revision.str() + "\"";
  auto response = http::Response::text(404, util::JsonLine().add("error", message).str(),
                                       "application/json");
  response.headers.emplace_back("X-Error-Code", "EntryNotFound");
  response.headers.emplace_back("X-Error-Message", message);
  response.headers.emplace_back("X-Repo-Commit", commit.str());
  response.cache = "hit";
  return response;
}

namespace {

// The headers of a 200 for the file a resolve answer describes (file_meta.hpp).
util::Headers meta_headers(const FileTarget& target, const FileMeta& meta) {
  return file_headers(store::HubObject{{target.type, target.repo_id, meta.commit, target.path},
                                            util::Sha256{},
                                            meta.etag,
                                            meta.size,
                                            meta.lfs});
}

// The commit the Hub named on an answer that is not a file (404 EntryNotFound, ...): on its
// own first answer, before any redirect a CDN adds.
std::optional<store::CommitId> commit_named(const upstream::ResponseHead& head) {
  const util::Headers& first = head.redirects.empty() ? head.headers : head.redirects.front().headers;
  return store::CommitId::parse(util::find_header(first, "X-Repo-Commit").value_or(""));
}

http::Response file_response(const HotFile& file, std::string cache_result) {
  http::Response response;
  response.status = 200;
  response.headers = file.headers;
  response.cache = std::move(cache_result);
  response.body = http::FileBody{file.body->fd(), file.body->size(), file.body};
  return response;
}

http::Response answer_response(const std::shared_ptr<const store::Found<store::Exchange>>& found,
                               std::string cache_result) {
  http::Response response;
  response.status = found->entry.status;
  response.headers = found->entry.headers;
  response.cache = std::move(cache_result);
  if (found->body) {
    // The body's descriptor lives as long as the whole answer does.
    const std::shared_ptr<const store::BlobReader> body(found, &*found->body);
    response.body = http::FileBody{body->fd(), body->size(), body};
  }
  return response;
}


} // namespace

// A stored answer (a file, or what the Hub said instead), kept for the stale fallback.
struct HubRoutes::Known {
  std::shared_ptr<const HotFile> file;
  std::shared_ptr<const store::Found<store::Exchange>> answer;  // its body pinned, if it has one

  bool any() const { return file || answer; }
  http::Response response(std::string cache_result) const {
    if (file) return file_response(*file, std::move(cache_result));
    return answer_response(answer, std::move(cache_result));
  }
};

HubRoutes::Known HubRoutes::find_known(const FileTarget& target, const std::string& scope,
                                       const std::optional<store::CommitId>& commit, bool head_only) {
  Known known;
  const bool locked_out =
      m_options.lock && commit &&
      !m_options.lock->file(target.type, target.repo_id, *commit, target.path);
  if (commit && !locked_out) {
    auto found = m_hot.file({target.type, target.repo_id, *commit, target.path, scope}, match());
    if (!found) m_tiers.recording().read_failed(found.error());
    if (found) known.file = std::move(*found);
  }
  // What the Hub said instead of a file; for a HEAD, also what a recorded HEAD said.
  for (const bool head : {false, true}) {
    if (known.any() || (head && !head_only)) break;
    for (const std::string& revision : {target.revision.str(), commit ? commit->str() : target.revision.str()}) {
      auto found = m_hot.exchange((head ? "HEAD " : "") + answer_key(target, revision, scope));
      if (!found) m_tiers.recording().read_failed(found.error());
      if (found && *found) {
        known.answer = std::move(*found);
        break;
      }
    }
  }
  return known;
}

void HubRoutes::resolve(const http::Request& request, const FileTarget& target, http::Respond respond,
                        bool trust_recorded) {
  const bool head_only = request.method == "HEAD";
  if (request.method != "GET" && !head_only) {
    auto response = http::Response::text(405, "the Hub's resolve takes GET and HEAD\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
    respond(std::move(response));
    return;
  }
  const auto expected = cache::expected_sha256(request.headers);
  if (!expected) {
    respond(http::Response::text(400, expected.error().message + "\n"));
    return;
  }
  auto url = cache::mirror_url(m_upstream, request.target);
  if (!url) {
    respond(http::Response::text(400, url.error().message + "\n"));
    return;
  }
  // On a lookup thread, from the start: this thread must not wait on the bucket (issue 18).
  const auto again = [&] {
    m_tiers.later(std::move(respond), [this, request, target, trust_recorded](http::Respond later) {
      resolve(request, target, std::move(later), trust_recorded);
    });
  };
  if (!ref_answers_here(target.type, target.repo_id, target.revision)) {
    again();
    return;
  }
  const auto scope = m_scopes.of(request);
  const auto commit = commit_of(target.type, target.repo_id, target.revision, scope);
  const std::string what =
      request.method + " " + upstream::redact_url(m_upstream.origin() + request.target);

  cache::Question question;
  question.what = what;
  question.head_only = head_only;
  // A file at a commit never changes: refresh asks the Hub again only about branches and tags.
  question.ask_first = m_tiers.asks_first(request.headers) && !as_commit(target.revision);
  // A HEAD has no body to vouch for.
  question.client = cache::Client::of(request, head_only ? std::nullopt : *expected);
  question.lookup = [&]() -> std::optional<cache::StoredAnswer> {
    // A ref the store lacked may have been learned since (a fetch ended meanwhile).
    auto known = std::make_shared<Known>(find_known(
        target, scope, commit ? commit : commit_of(target.type, target.repo_id, target.revision, scope),
        head_only));
    if (!known->any()) return std::nullopt;
    return [known](std::string label) { return known->response(std::move(label)); };
  };
  if (m_options.remote) {
    question.remote_tier = true;
    question.remote = [&](const http::Respond& respond) {
      return from_remote(target, scope, commit, head_only, what, cache::Client::of(request), respond);
    };
  }
  question.unrecorded = [&] { return unrecorded(request, target, scope, commit); };
  // What the Hub is asked: never the Accept that would switch an LFS file to Xet (the JS
  // client sends application/vnd.xet-fileinfo+json): see forwarded_headers.hpp. A HEAD asks
  // for a file's metadata: it follows a GET of the file already in flight, else it is asked
  // upstream as a HEAD and recorded as one. It never fetches the body (issue 14: a client
  // whose cache is warm, or transformers' has_file(), would pull gigabytes).
  const auto hub_request = [&] {
    upstream::FetchRequest fetch;
    fetch.method = head_only ? "HEAD" : "GET";
    fetch.url = *url;
    fetch.headers = cache::forwarded_headers(request.headers, cache::Upstream::hub);
    return fetch;
  };
  if (!head_only && commit && trust_recorded) {
    // Known before the bytes: fetched once for every name, by this request's own URL (the
    // Hub's answer must still name that content, or the fetch stops and this request is
    // asked again as one whose content is not known).
    question.content = [&]() -> std::optional<cache::KnownContent> {
      auto object = recorded_content(m_store, target, scope, *commit, [&](const std::string& revision) {
        return "HEAD " + answer_key(target, revision, scope);
      });
      if (!object) return std::nullopt;
      cache::ContentSource source;
      source.request = hub_request();
      source.request.follow_redirect = [this, target, scope, digest = object->etag](const upstream::Hop& hop,
                                                                                  const upstream::Url&) {
        const auto named = announced_content(hop);
        if (!named || named->etag == digest) return true;
        // The branch moved since the store learned it: the content's fetch stops, and the
        // request is asked again (`refused`) at the commit the Hub names now.
        if (!as_commit(target.revision) && named->commit != target.revision.str()) {
          m_tiers.recording().noted(
              m_store.put(store::Ref{target.type, target.repo_id, target.revision, named->commit, 0, scope}),
              "the ref " + target.revision.str() + " of " + target.repo_id.str());
        }
        return false;
      };
      source.name = upstream::redact_url(url->to_string());
      auto known = known_content(*object, std::move(source));
      known.refused = [this, request, target](const http::Respond& respond) {
        resolve(request, target, respond, /*trust_recorded=*/false);
      };
      return known;
    };
  }
  question.fetch = [&] {
    cache::Fetch fetch;
    const std::string get_key = "GET " + answer_key(target, target.revision.str(), scope);
    fetch.key = head_only ? "HEAD " + answer_key(target, target.revision.str(), scope) : get_key;
    fetch.request = hub_request();
    if (head_only) {
      fetch.get_key = get_key;
    } else {
      fetch.resumable = *expected;
      // Learned on the way: the Hub's redirect to its CDN names an LFS file's content, and
      // the fetch stops there; the CDN's bytes are then fetched once for every name (see
      // `fetched`).
      fetch.request.follow_redirect = [](const upstream::Hop& hop, const upstream::Url&) {
        return !announced_content(hop);
      };
    }
    fetch.record = [this, target, scope, head_only, url_text = upstream::redact_url(url->to_string())](
                       cache::InFlight& f, const upstream::ResponseHead& head, std::int64_t ms) {
      if (head_only) {
        record_head(f, head, target, scope, url_text, ms);
      } else if (const auto meta = stopped_content(head)) {
        // Only the ref: the file is recorded by its content's flight.
        if (meta->commit != target.revision.str()) {
          m_tiers.recording().stored(
              m_store.put(store::Ref{target.type, target.repo_id, target.revision, meta->commit, 0, scope}), f,
              url_text);
        }
        cache::Recording::hand_over(f, ms);
      } else {
        record_resolve(f, head, target, scope, url_text, ms);
      }
    };
    fetch.fetched = [this, target, scope, head_only, what, client = question.client](
                        const std::shared_ptr<cache::Follower>& follower, const upstream::ResponseHead& head,
                        http::Respond respond) {
      const auto meta = head_only ? std::nullopt : stopped_content(head);
      const auto object = meta ? lfs_object(target, scope, meta->commit, meta->etag, meta->size) : std::nullopt;
      if (!object) {
        respond(resolved(follower, head, target, head_only));
        return;
      }
      cache::ContentSource source;
      source.request.url = *head.stopped_at;  // the CDN: no credential goes there
      source.name = upstream::redact_url(head.stopped_at->to_string());
      // Once this fetch has let go of its partial file, which the content's fetch resumes.
      follower->flight().wait_for_end([this, follower, known = known_content(*object, std::move(source)), what,
                                       client, respond](bool) {
        m_tiers.serve_content(known, false, what, client, respond);
      });
    };
    return fetch;
  };
  if (m_tiers.answer(question, respond) == cache::Answered::later) again();
}

// One fetch per content (file_content.hpp): the answer for `object` whose bytes come from
// `source` unless the store holds them under any name; named for this request once stored.
cache::KnownContent HubRoutes::known_content(const store::HubObject& object, cache::ContentSource source) {
  cache::KnownContent known;
  known.content = {object.blob, object.size,
                   [this, object](const store::BlobReader& body) { return m_store.put(body, object); }};
  known.headers = file_headers(object);
  known.source = std::move(source);
  return known;
}

// Replay, and the store holds no answer for this credential: the Hub's own answer where the
// store knows it, else a miss. A complete file list of this credential says 404 EntryNotFound;
// a repo recorded only with another credential says 401 GatedRepo whatever the path, so what
// one credential recorded never tells another which files exist (issue 14).
http::Response HubRoutes::unrecorded(const http::Request& request, const FileTarget& target,
                                     const std::string& scope,
                                     const std::optional<store::CommitId>& commit) {
  const bool in_lock = !m_options.lock || (commit && m_options.lock->file(target.type, target.repo_id,
                                                                          *commit, target.path));
  // Under a lock, a known commit is one the lock names: a file its complete list lacks is
  // absent there whether or not the lock names the path (transformers probes such paths, e.g.
  // added_tokens.json, and a 404 is the Hub's own answer for them).
  if (commit) {
    if (m_options.remote) open_exchange(file_list_key(target.type, target.repo_id, *commit, scope));
    auto listed = file_listed(m_store, target.type, target.repo_id, *commit, scope, target.path);
    if (listed && *listed && !**listed) return entry_not_found(target, *commit);
  }
  if (in_lock && known_only_elsewhere(target, scope, commit)) return gated(target.type, target.repo_id);
  const std::string what = request.method + " " + upstream::redact_url(m_upstream.origin() + request.target);
  if (m_notice) m_notice("replay miss: " + what);
  return in_lock ? cache::replay_miss(m_metrics, what, m_options.record_hint)
                 : cache::lock_refusal(m_metrics, what, m_options.lock_path);
}

bool HubRoutes::known_only_elsewhere(const FileTarget& target, const std::string& scope,
                                     const std::optional<store::CommitId>& commit) {
  if (!commit) {
    // commit_of() found no ref for this credential; one for another is the repo's secret.
    if (m_options.lock) return false;
    auto ref = m_store.find_ref(target.type, target.repo_id, target.revision, scope,
                                store::CredentialMatch::any);
    return ref && *ref;
  }
  auto own = m_store.index().hub_objects_at(target.type, target.repo_id, *commit, scope,
                                            store::CredentialMatch::exact);
  if (!own || !own->empty()) return false;
  auto any = m_store.index().hub_objects_at(target.type, target.repo_id, *commit, scope,
                                            store::CredentialMatch::any);
  return any && !any->empty();
}

util::Result<std::optional<store::Found<store::Exchange>>> HubRoutes::open_exchange(const std::string& key,
                                                                                   bool* pulled,
                                                                                   bool remote_first) {
  auto found = m_store.open_exchange(key);
  if (!found || !m_options.remote) return found;
  if (*found) {
    if (!remote_first) return found;
    auto there = m_options.remote->find_exchange(key);
    if (!there || !*there) return found;
    const auto& local = (*found)->entry;
    if ((*there)->blob == local.blob && (*there)->status == local.status) return found;
  }
  auto pull = remote::pull_exchange(m_store, *m_options.remote, key);
  if (!pull) {
    if (m_notice) m_notice("remote tier: " + pull.error().message);
    return found;
  }
  if (!*pull) return found;
  if (pulled) *pulled = true;
  return m_store.open_exchange(key);
}

bool HubRoutes::from_remote(const FileTarget& target, const std::string& scope,
                            const std::optional<store::CommitId>& commit, bool head_only,
                            const std::string& what, const cache::Client& client,
                            const http::Respond& respond) {
  auto& remote = *m_options.remote;
  if (commit) {
    auto file = remote.find_file({target.type, target.repo_id, *commit, target.path, scope});
    if (!file) {
      if (m_notice) m_notice("remote tier: " + file.error().message);
      return false;
    }
    if (*file) {
      auto known = known_content(**file, cache::remote_source(remote, (*file)->blob));
      known.from_remote = true;
      m_tiers.serve_content(known, head_only, what, client, respond);
      return true;
    }
  }
  // What the Hub said instead of a file (404 EntryNotFound, a gated repo), if recorded.
  for (const std::string& revision : {target.revision.str(), commit ? commit->str() : target.revision.str()}) {
    bool pulled = false;
    open_exchange(answer_key(target, revision, scope), &pulled);
    if (!pulled) continue;
    Known known = find_known(target, scope, commit);
    if (known.any()) {
      respond(known.response("remote"));
      return true;
    }
  }
  return false;
}

http::Response HubRoutes::resolved(const std::shared_ptr<cache::Follower>& follower,
                                   const upstream::ResponseHead& head, const FileTarget& target,
                                   bool head_only) {
  http::Response response;
  // A HEAD that followed a GET stopped at the Hub's redirect (file_content.hpp) has no body.
  const auto meta = head_only && head.stopped_at ? stopped_content(head) : file_meta(head);
  if (meta) {
    response.status = 200;
    response.headers = meta_headers(target, *meta);
    response.cache = "stored";
  } else {
    response.status = head.status;
    response.headers = rewrite_origin(strip_xet(util::without_hop_by_hop(head.headers)),
                                      m_upstream.origin(), "");
    response.cache = cache::is_storable_status(head.status) ? "stored" : "miss";
  }
  if (!head_only) {
    response.body = std::static_pointer_cast<http::GrowingBody>(follower);
  } else if (meta) {
    util::set_header(response.headers, "Content-Length", std::to_string(meta->size));
  } else if (head.content_length) {
    util::set_header(response.headers, "Content-Length", std::to_string(*head.content_length));
  }
  return response;
}

// Invariant (DESIGN.md): a blob is visible only when complete and checked. An LFS file is
// checked against the sha256 the Hub named; every file against the size it named. A
// client's X-Hubcache-Expect-Sha256 never fails the shared fetch (issue 14): it decides what
// that client gets, and whether the file is indexed.
void HubRoutes::record_resolve(cache::InFlight& flight, const upstream::ResponseHead& head,
                               const FileTarget& target, const std::string& scope,
                               const std::string& url, std::int64_t upstream_ms) {
  auto& recording = m_tiers.recording();
  const auto meta = file_meta(head);
  if (!meta && !cache::is_storable_status(head.status)) {
    cache::Recording::pass_on(flight, upstream_ms);
    return;
  }
  store::BlobExpectation expect{head.content_length, std::nullopt};
  if (meta) {
    expect.size = meta->size;
    if (meta->lfs) expect.sha256 = util::Sha256::from_hex(meta->etag.str());
  }
  auto committed = recording.commit(flight, expect, head.url);
  if (!committed) return;
  if (meta && recording.vouched_against(flight, committed->digest(), head.url)) {
    flight.finish(std::move(*committed), upstream_ms);
    return;
  }
  const auto note = [&](const util::Result<void>& r) { recording.stored(r, flight, url); };
  // The commit the Hub named, on a file or on an error about one.
  std::optional<store::CommitId> commit;
  if (meta) {
    commit = meta->commit;
    note(m_store.put(*committed, store::HubObject{{target.type, target.repo_id, meta->commit,
                                                   target.path, scope},
                                                  committed->digest(),
                                                  meta->etag,
                                                  committed->size(),
                                                  meta->lfs}));
  } else {
    commit = commit_named(head);
    store::Exchange answer;
    answer.method = "GET";
    answer.url = url;
    answer.status = head.status;
    answer.headers = strip_xet(cache::recordable_headers(head.headers));
    answer.key = answer_key(target, target.revision.str(), scope);
    note(m_store.put(&*committed, answer));
    if (commit && *commit != target.revision.str()) {
      answer.key = answer_key(target, commit->str(), scope);
      note(m_store.put(&*committed, answer));
    }
  }
  if (commit && *commit != target.revision.str()) {
    note(m_store.put(store::Ref{target.type, target.repo_id, target.revision, *commit, 0, scope}));
  }
  flight.finish(std::move(*committed), upstream_ms,
                meta ? cache::Expectations::apply : cache::Expectations::ignore);
}

// A HEAD asked upstream: its answer recorded without a body, under "HEAD hub-resolve ...",
// per revision and per commit, for replay to answer HEADs with (a GET needs the body, so it
// never takes one of these). The ref the Hub named is learned as from a GET.
void HubRoutes::record_head(cache::InFlight& flight, const upstream::ResponseHead& head,
                            const FileTarget& target, const std::string& scope,
                            const std::string& url, std::int64_t upstream_ms) {
  if (!cache::is_storable_status(head.status)) {
    cache::Recording::pass_on(flight, upstream_ms);  // a HEAD has no body
    return;
  }
  flight.writer().discard();
  const auto note = [&](const util::Result<void>& r) { m_tiers.recording().stored(r, flight, url); };
  store::Exchange answer;
  answer.method = "HEAD";
  answer.url = url;
  std::optional<store::CommitId> commit;
  if (const auto meta = file_meta(head)) {
    commit = meta->commit;
    answer.status = 200;
    answer.headers = meta_headers(target, *meta);
    answer.headers.emplace_back("Content-Length", std::to_string(meta->size));
  } else {
    commit = commit_named(head);
    answer.status = head.status;
    answer.headers = strip_xet(cache::recordable_headers(head.headers));
  }
  answer.key = "HEAD " + answer_key(target, target.revision.str(), scope);
  note(m_store.put(nullptr, answer));
  if (commit && *commit != target.revision.str()) {
    answer.key = "HEAD " + answer_key(target, commit->str(), scope);
    note(m_store.put(nullptr, answer));
    note(m_store.put(store::Ref{target.type, target.repo_id, target.revision, *commit, 0, scope}));
  }
  flight.finish(std::nullopt, upstream_ms);
}

http::Handler hub_handler(HubRoutes& hub, cache::Cache& exchanges, upstream::Url upstream) {
  auto mirror = cache::mirror_handler(exchanges, std::move(upstream));
  return [&hub, mirror](http::Request request, http::Respond respond) {
    auto target = parse_target(request.target);
    if (!target) {
      respond(http::Response::text(400, "hubcache: " + target.error().message + "\n"));
      return;
    }
    // The Hub's side requests (cache/side_requests): whatever answers them, they are optional.
    const std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
    if (const auto* side = cache::match_side_request(request.method, cache::SideHost::hub, "", path)) {
      respond = cache::as_side_request(*side, std::move(respond));
    }
    if (*target) {
      hub.handle(request, **target, std::move(respond));
      return;
    }
    mirror(std::move(request), std::move(respond));
  };
}

void install_hub(http::Router& router, HubRoutes& hub, cache::Cache& exchanges,
                 upstream::Url upstream) {
  router.set_fallback(hub_handler(hub, exchanges, std::move(upstream)));
}

} // namespace hub
