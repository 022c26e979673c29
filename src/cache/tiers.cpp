#include "cache/tiers.hpp"

#include "cache/expectation.hpp"
#include "cache/responses.hpp"

namespace cache {

Tiers::Tiers(Mode mode, store::Store& store, Fetches& fetches, util::Metrics& metrics, Notice notice,
             Lookups* lookups)
    : m_mode(mode), m_store(store), m_fetches(fetches), m_metrics(metrics), m_notice(notice),
      m_recording(metrics, notice), m_lookups(lookups) {}

bool Tiers::asks_first(const util::Headers& headers) const {
  return m_mode == Mode::refresh || (m_mode == Mode::record && wants_refresh(headers));
}

// The order of the tiers, and each mode's part in it, is decided here and nowhere else.
// A request that gets past the local tier with a remote tier to ask is handed to a lookup
// thread before anything else is asked (issue 18: a bucket tens of ms away must not hold a
// server's thread); a hit answers here, as fast as without a remote tier.
Answered Tiers::answer(const Question& question, http::Respond& respond) {
  const bool remote = question.remote && !question.ask_first;
  if (remote && question.remote_first) {
    if (!waits_here()) return Answered::later;
    if (question.remote(respond)) return Answered::now;
  }
  auto stored = question.lookup ? question.lookup() : std::nullopt;
  if (stored && !question.ask_first) {
    respond((*stored)("hit"));
    return Answered::now;
  }
  const bool may_ask_remote = remote || (question.remote_tier && !question.ask_first);
  if (may_ask_remote && !waits_here()) return Answered::later;
  if (!stored && remote && !question.remote_first && question.remote(respond)) return Answered::now;
  if (m_mode == Mode::replay) {
    respond(question.unrecorded());
    return Answered::now;
  }
  if (!question.ask_first && question.content) {
    if (auto known = question.content()) {
      serve_content(*known, question.head_only, question.what, question.client, respond);
      return Answered::now;
    }
  }
  from_upstream(question, question.fetch(), std::move(stored), std::move(respond));
  return Answered::now;
}

void Tiers::later(http::Respond respond, Lookups::Job job) {
  if (!m_lookups) {
    job(std::move(respond));  // no lookup threads: this one may wait (waits_here())
    return;
  }
  m_lookups->run(std::move(respond), std::move(job));
}

void Tiers::serve_content(const KnownContent& known, bool head_only, const std::string& what,
                          const Client& client, const http::Respond& respond) {
  const auto label = [&known](bool stored) -> std::string {
    return known.from_remote ? "remote" : stored ? "hit" : "stored";
  };
  const auto stored_response = [&](const std::shared_ptr<const store::BlobReader>& body) {
    if (known.stored_answer) return known.stored_answer(body, label(true));
    http::Response response;
    response.status = known.status;
    response.headers = known.headers;
    response.cache = label(true);
    response.body = http::FileBody{body->fd(), body->size(), body};
    return response;
  };
  if (head_only) {
    // The head is known; a HEAD starts no fill. A body this node holds is named now.
    const bool held = stored_content(m_store, m_recording, known.content, what) != nullptr;
    http::Response response;
    response.status = known.status;
    response.headers = known.headers;
    util::set_header(response.headers, "Content-Length", std::to_string(known.content.size));
    response.cache = label(held);
    respond(std::move(response));
    return;
  }
  auto filling = fill_content(m_fetches, m_store, m_recording, known.content, known.source, client);
  if (filling.stored) {
    respond(stored_response(filling.stored));
    return;
  }
  if (!filling.follower) {
    respond(fetch_queue_full(m_metrics));
    return;
  }
  respond_filling(filling.follower, known.status, known.headers, label(false), m_metrics, m_notice,
                  what, respond, known.refused);
}

void Tiers::from_upstream(const Question& question, const Fetch& fetch,
                          std::optional<StoredAnswer> fallback, http::Respond respond) {
  const bool may_follow = question.head_only && !fetch.get_key.empty();
  std::shared_ptr<Follower> follower = may_follow ? m_fetches.follow(fetch.get_key, question.client) : nullptr;
  // A HEAD fetched as a HEAD has no body to stream meanwhile: it is answered once recorded.
  const bool answer_when_recorded = may_follow && !follower;
  if (!follower) {
    // A fetch of the same key may have ended since the lookup: then it is a hit now. (Not
    // when asking first, which asks the upstream whatever the store holds.)
    std::function<bool()> stored_meanwhile;
    if (!question.ask_first && question.lookup) {
      stored_meanwhile = [&question] { return question.lookup().has_value(); };
    }
    auto joined = m_fetches.join_or_start(fetch.key, question.client, fetch.request, fetch.record,
                                          stored_meanwhile, fetch.resumable);
    if (joined.stored) {
      if (auto now = question.lookup()) {
        respond((*now)("hit"));
        return;
      }
    }
    follower = joined.follower;
  }
  if (!follower) {
    respond(fetch_queue_full(m_metrics));
    return;
  }
  follower->flight().wait_for_head([this, follower, respond, fallback = std::move(fallback),
                                    what = question.what, fetched = fetch.fetched,
                                    answer_when_recorded](const upstream::ResponseHead* head,
                                                          const util::Error* error) {
    if (fallback && upstream_failed(head)) {
      count_stale_answer(m_metrics);
      respond((*fallback)("stale"));
      return;
    }
    if (!head) {
      respond(upstream_failure(m_metrics, m_notice, what, *error));
      return;
    }
    if (answer_when_recorded) {
      follower->flight().wait_for_end([follower, respond, fetched, head = *head](bool) {
        fetched(follower, head, respond);
      });
      return;
    }
    fetched(follower, *head, respond);
  });
}

} // namespace cache
