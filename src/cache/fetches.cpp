#include "cache/fetches.hpp"

#include <fcntl.h>

#include <algorithm>
#include <exception>

namespace cache {

Fetches::Fetches(store::Store& store, upstream::Transport& fetcher, Notice notice,
                 FetchesOptions options)
    : m_store(store), m_fetcher(fetcher), m_notice(std::move(notice)), m_options(options),
      m_pool(options.workers, options.queue, m_notice) {}

Fetches::~Fetches() { wait_idle(); }

void Fetches::wait_idle() {
  std::unique_lock lock(m_mutex);
  m_idle.wait(lock, [this] { return m_pending == 0; });
}

std::shared_ptr<Follower> Fetches::follow(const std::string& key, const Client& client) {
  std::lock_guard lock(m_mutex);
  const auto it = m_in_flight.find(key);
  return it == m_in_flight.end() ? nullptr : Follower::make(it->second, client);
}

Fetches::Joined Fetches::join_or_start(const std::string& key, const Client& client,
                                       upstream::FetchRequest request, Record record,
                                       const std::function<bool()>& stored_meanwhile,
                                       const std::optional<util::Sha256>& resumable, Keep keep) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_in_flight.find(key); it != m_in_flight.end()) {
    if (auto follower = Follower::make(it->second, client)) return {std::move(follower), false};
    // That fetch was cancelled (nobody wanted it) and is ending: a new one takes the key.
  }
  if (stored_meanwhile && stored_meanwhile()) return {nullptr, true};
  auto flight = std::make_shared<InFlight>(
      key, keep == Keep::until_done || m_options.keep == Keep::until_done ? Keep::until_done
                                                                         : Keep::while_wanted);
  // Registered before the job is queued, so no worker can find the new fetch unwanted.
  auto follower = Follower::make(flight, client);
  const bool queued = m_pool.try_post([this, flight, request = std::move(request),
                                       record = std::move(record), resumable]() mutable {
    run(flight, std::move(request), record, resumable);
  });
  if (!queued) return {};
  m_in_flight.insert_or_assign(key, flight);
  ++m_pending;
  return {std::move(follower), false, true};
}

// No exception leaves a fetch: one that throws (a bug, std::bad_alloc) fails its flight, so
// its clients get an error instead of waiting forever, and the worker goes on.
void Fetches::run(const std::shared_ptr<InFlight>& flight, upstream::FetchRequest request,
                  const Record& record, const std::optional<util::Sha256>& resumable) {
  std::string thrown;
  try {
    fetch(*flight, std::move(request), record, resumable);
  } catch (const std::exception& e) {
    thrown = e.what();
  } catch (...) {
    thrown = "an unknown exception";
  }
  if (!thrown.empty()) {
    flight->fail({util::Errc::io, "the fetch failed: " + thrown});
    if (m_notice) m_notice("fetch of " + flight->key() + " failed: " + thrown);
  }
  std::lock_guard lock(m_mutex);
  if (auto it = m_in_flight.find(flight->key()); it != m_in_flight.end() && it->second == flight) {
    m_in_flight.erase(it);
  }
  if (--m_pending == 0) m_idle.notify_all();
}

void Fetches::count_cancelled() {
  if (!m_options.metrics) return;
  m_options.metrics
      ->counter("hubcache_fetches_cancelled_total",
                "Fetches ended, or dropped before they started, because no client waited for them")
      .add();
}

// The temp blob is opened here, when a worker starts the fetch, not when it is queued: a
// queued fetch holds no descriptor, so the queue bounds requests, not open files.
void Fetches::fetch(InFlight& flight, upstream::FetchRequest request, const Record& record,
                    const std::optional<util::Sha256>& resumable) {
  if (flight.cancelled()) {
    count_cancelled();
    flight.fail({util::Errc::upstream_unreachable,
                 "cancelled before it started: no client waits for it"});
    return;
  }
  auto writer = resumable ? m_store.begin_resumable_blob(*resumable) : m_store.begin_blob();
  if (!writer) {
    if (m_notice) m_notice("cannot start a blob: " + writer.error().message);
    flight.fail({util::Errc::io, "the store cannot take a new blob: " + writer.error().message});
    return;
  }
  util::UniqueFd read_fd(::open(writer->tmp_path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!read_fd) {
    if (m_notice) m_notice("cannot read back " + writer->tmp_path().string());
    flight.fail({util::Errc::io, "the store cannot take a new blob: cannot read it back"});
    return;
  }
  std::optional<util::Sha256> resumed_for;
  if (writer->resumable()) {
    request.resume_from = writer->size();
    if (writer->size() > 0) resumed_for = resumable;
  }
  flight.begin(std::move(*writer), std::move(read_fd), resumed_for);
  auto result = m_fetcher.fetch(request, flight);
  if (!result) {
    if (flight.cancelled()) count_cancelled();
    flight.fail(result.error());
  } else if (auto head = flight.head()) {
    record(flight, *head, result->elapsed.count());
    // A record that forgot to end the flight must not leave its clients waiting (a no-op
    // after finish() or fail()).
    flight.fail({util::Errc::io, "the fetch ended unrecorded"});
  } else {
    flight.fail(util::Error{util::Errc::upstream_unreachable, "upstream gave no answer"});
  }
}

} // namespace cache
