#include "cache/fetches.hpp"

#include <fcntl.h>
#include <thread>

namespace cache {

Fetches::Fetches(store::Store& store, upstream::Fetcher& fetcher, Notice notice)
    : m_store(store), m_fetcher(fetcher), m_notice(std::move(notice)) {}

Fetches::~Fetches() { wait_idle(); }

void Fetches::wait_idle() {
  std::unique_lock lock(m_mutex);
  m_idle.wait(lock, [this] { return m_threads == 0; });
}

std::shared_ptr<InFlight> Fetches::find(const std::string& key) {
  std::lock_guard lock(m_mutex);
  const auto it = m_in_flight.find(key);
  return it == m_in_flight.end() ? nullptr : it->second;
}

std::shared_ptr<InFlight> Fetches::join_or_start(const std::string& key,
                                                 upstream::FetchRequest request, Record record) {
  return join_or_start(key, std::move(request), std::move(record), {}).flight;
}

Fetches::Joined Fetches::join_or_start(const std::string& key, upstream::FetchRequest request,
                                       Record record,
                                       const std::function<bool()>& stored_meanwhile,
                                       const std::optional<util::Sha256>& resumable) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_in_flight.find(key); it != m_in_flight.end()) return {it->second, false};
  if (stored_meanwhile && stored_meanwhile()) return {nullptr, true};
  auto writer = resumable ? m_store.begin_resumable_blob(*resumable) : m_store.begin_blob();
  if (writer && writer->resumable()) request.resume_from = writer->size();
  if (!writer) {
    if (m_notice) m_notice("cannot start a blob: " + writer.error().message);
    return {};
  }
  util::UniqueFd read_fd(::open(writer->tmp_path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!read_fd) {
    if (m_notice) m_notice("cannot read back " + writer->tmp_path().string());
    return {};
  }
  auto flight = std::make_shared<InFlight>(key, std::move(*writer), std::move(read_fd));
  m_in_flight.emplace(key, flight);
  ++m_threads;
  std::thread([this, flight, request = std::move(request), record = std::move(record)]() mutable {
    run(std::move(flight), std::move(request), std::move(record));
  }).detach();
  return {flight, false};
}

void Fetches::run(std::shared_ptr<InFlight> flight, upstream::FetchRequest request, Record record) {
  auto result = m_fetcher.fetch(request, *flight);
  if (!result) {
    flight->fail(result.error());
  } else if (auto head = flight->head()) {
    record(*flight, *head, result->elapsed.count());
  } else {
    flight->fail(util::Error{util::Errc::upstream_unreachable, "upstream gave no answer"});
  }
  std::lock_guard lock(m_mutex);
  if (auto it = m_in_flight.find(flight->key()); it != m_in_flight.end() && it->second == flight) {
    m_in_flight.erase(it);
  }
  if (--m_threads == 0) m_idle.notify_all();
}

} // namespace cache
