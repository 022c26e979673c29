// The one place that knows the order of the tiers (the local store, the remote tier, the
// upstream) and what each mode does on a hit and a miss (DESIGN.md; STYLE.md "One class knows
// the tier order"). A route translates a request into a Question (its keys, how to look its
// answer up in each tier, how to fetch and record it); Tiers asks the tiers in order and
// answers once. The exchange cache (cache.hpp), the Hub's resolve and its API (hub/routes.hpp)
// are such translators.
#pragma once

#include "cache/content_fill.hpp"
#include "cache/fetches.hpp"
#include "cache/follower.hpp"
#include "cache/lookups.hpp"
#include "cache/mode.hpp"
#include "cache/recording.hpp"
#include "http/message.hpp"
#include "store/store.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace cache {

// A stored answer, ready to go out as a hit, a remote hit or the stale fallback; the label
// is the X-Hubcache value (http::Response::cache).
using StoredAnswer = std::function<http::Response(std::string cache_result)>;

// The body of an answer known by its content before its bytes (content_fill.hpp), with the
// status and headers this request's own name gives it.
struct KnownContent {
  Content content;
  int status = 200;
  util::Headers headers;
  ContentSource source;
  // From the bucket: labelled "remote" whether this node held the bytes or not. Else "hit"
  // when the store held them under another name, "stored" when they were fetched.
  bool from_remote = false;
  // The source answered other than 200 for the content (it names other bytes now): how to
  // answer instead of a 502 (null: the 502).
  std::function<void(const http::Respond&)> refused;
  // The answer once the blob is this node's, when it is more than status, headers and body
  // (null: just those).
  std::function<http::Response(const std::shared_ptr<const store::BlobReader>&, std::string)> stored_answer;
};

// How to ask the upstream for a request and record its answer: made only when a request goes
// upstream (a hit never pays for it).
struct Fetch {
  std::string key;  // one flight per key
  upstream::FetchRequest request;
  Fetches::Record record;  // runs on a fetching thread
  // The body should have this sha256 (a client vouched): kept in a resumable partial file.
  std::optional<util::Sha256> resumable;
  // A HEAD follows a GET of the same answer in flight under `get_key`; without one, it is
  // fetched as itself and answered once recorded (so the client's next request is a hit).
  // Empty: a HEAD is fetched like a GET.
  std::string get_key;
  // The answer once the upstream's head is known; the body follows the flight. Runs on
  // whichever thread sees the head.
  std::function<void(const std::shared_ptr<Follower>&, const upstream::ResponseHead&, http::Respond)>
      fetched;
};

// What a route asks of the tiers for one request. Every callback runs on the caller's thread
// before Tiers::answer() returns (so they may capture the route's locals by reference); what
// must outlive the call (a StoredAnswer, a KnownContent, a Fetch) owns its data. A request
// answer() hands back to run on a lookup thread is asked again there as a new Question.
struct Question {
  std::string what;  // "GET URL" as the client asked, redacted: for messages
  bool head_only = false;
  // Ask the upstream first, and answer from the store only if it fails (Tiers::asks_first).
  bool ask_first = false;
  Client client;  // for a GET, with the sha256 it vouched for
  // The local tier: the stored answer, if any. Asked again when a fetch ended meanwhile.
  std::function<std::optional<StoredAnswer>()> lookup;
  // The remote tier (null: none): answers `respond` and returns true when it knows the answer.
  std::function<bool(const http::Respond&)> remote;
  // The remote tier is asked before the local one: for answers that move (listings, whose
  // newest copy is the refresh job's in the bucket). Else only on a local miss.
  bool remote_first = false;
  // Past a local hit, answering may wait on the remote tier (through `remote`, or an
  // `unrecorded` that reads the bucket). Set whenever the route has a remote tier.
  bool remote_tier = false;
  // Replay, and no tier holds it: what to answer (a miss, a refusal, an answer made up).
  std::function<http::Response()> unrecorded;
  // The body is known by its content before its bytes: one flight per content, and a hit if
  // the store holds that content under any name. Not when asking first.
  std::function<std::optional<KnownContent>()> content;
  // The upstream.
  std::function<Fetch()> fetch;
};

// What Tiers::answer() did with a request.
enum class Answered {
  now,    // answered (or will be, by a fetch it follows)
  later,  // not answered: it needs the remote tier, and this thread must not wait for it.
          // The caller runs the request again through Tiers::later().
};

// Safe from any thread.
class Tiers {
public:
  // `lookups`: where requests that wait on the remote tier go, so that the calling threads
  // (a server's) never wait; it must outlive every request. Null: they wait where they are
  // (a mount's FUSE threads, preload, tests).
  Tiers(Mode mode, store::Store& store, Fetches& fetches, util::Metrics& metrics, Notice notice,
        Lookups* lookups = nullptr);

  // Whether a request with `headers` asks the upstream first (Question::ask_first): refresh
  // mode, or X-Hubcache-Refresh: 1 while recording (expectation.hpp).
  bool asks_first(const util::Headers& headers) const;

  // Answers `question`, calling `respond` once (and moving from it), or hands it back
  // untouched (Answered::later) when answering needs the remote tier and this thread must
  // not wait for it: a local hit never does. Only `lookup` has run then.
  [[nodiscard]] Answered answer(const Question& question, http::Respond& respond);

  // Whether this thread may wait on the remote tier (a lookup thread, or no Lookups at all).
  bool waits_here() const { return !m_lookups || Lookups::on_lookup_thread(); }
  // Runs `job(respond)` (the request again, from its start) on a lookup thread, or answers
  // 503 when they are all taken (lookups.hpp).
  void later(http::Respond respond, Lookups::Job job);

  // A content the remote tier names: this node's copy if it holds the digest, its head only
  // for a HEAD, else a fill from the bucket followed by the client. Answers `respond`.
  void serve_content(const KnownContent& known, bool head_only, const std::string& what,
                     const Client& client, const http::Respond& respond);

  Mode mode() const { return m_mode; }
  Recording& recording() { return m_recording; }
  Fetches& fetches() { return m_fetches; }
  util::Metrics& metrics() { return m_metrics; }
  const Notice& notice() const { return m_notice; }

private:
  void from_upstream(const Question& question, const Fetch& fetch,
                     std::optional<StoredAnswer> fallback, http::Respond respond);

  const Mode m_mode;
  store::Store& m_store;
  Fetches& m_fetches;
  util::Metrics& m_metrics;
  Notice m_notice;
  Recording m_recording;
  Lookups* const m_lookups;
};

} // namespace cache
