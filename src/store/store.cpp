#include "store/store.hpp"

#include "store/eviction.hpp"

#include <system_error>

namespace store {

util::Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& root, OpenMode mode,
                                                 const util::Clock& clock) {
  Layout layout(root);
  std::error_code ec;
  if (mode == OpenMode::must_exist && !std::filesystem::exists(layout.index_db(), ec)) {
    return util::fail(util::Errc::invalid_argument,
                      "no store at " + root.string() +
                          " (nothing recorded there yet; pass --store or set HUBCACHE_STORE)");
  }
  // A typo'd --store must not scatter our files over a directory that holds something else.
  // Emptiness first, the index second: another process may be creating this store right now,
  // and then the index appears before anything else does.
  if (mode == OpenMode::create_if_missing && std::filesystem::exists(root, ec) &&
      !std::filesystem::is_empty(root, ec) && !std::filesystem::exists(layout.index_db(), ec)) {
    return util::fail(util::Errc::invalid_argument,
                      root.string() + " is not empty and is not a hubcache store; pass a new or "
                                      "empty directory as --store");
  }
  BlobStore blobs(layout);
  if (auto r = util::make_dirs(root); !r) return tl::unexpected(r.error());
  auto index = Index::open(layout.index_db());
  if (!index) return tl::unexpected(index.error());
  if (auto r = blobs.create_dirs(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<Store>(new Store(std::move(layout), std::move(*index), clock));
}

util::Result<void> Store::put(const BlobReader& body, HubObject object) {
  object.blob = body.digest();
  object.size = body.size();
  object.stored_at = object.last_access = m_clock.now();
  return m_index->put_hub_object(object);
}

util::Result<void> Store::put(const BlobReader* body, Exchange exchange) {
  if (body) {
    exchange.blob = body->digest();
    exchange.body_size = body->size();
  } else {
    exchange.blob.reset();
    exchange.body_size = 0;
  }
  exchange.stored_at = exchange.last_access = m_clock.now();
  auto put = m_index->put_exchange(exchange);
  m_exchange_generation.fetch_add(1, std::memory_order_acq_rel);  // also after a failure: it may have half-happened
  return put;
}

util::Result<void> Store::set_bound(std::uint64_t bound) {
  auto counts = m_index->counts();
  if (!counts) return tl::unexpected(counts.error());
  // Temp files count too: a partial body kept for a resume takes room like any blob.
  std::uint64_t used = counts->blob_bytes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(m_layout.tmp_dir(), ec)) {
    std::error_code size_ec;
    if (entry.is_regular_file(size_ec)) used += entry.file_size(size_ec);
  }
  m_budget = std::make_shared<SpaceBudget>(bound, used, [this](std::uint64_t want) -> util::Result<std::uint64_t> {
    auto report = evict_bytes(*this, want);
    if (!report) return tl::unexpected(report.error());
    m_budget->count_evicted(report->evicted_blobs, report->evicted_bytes);
    return report->evicted_bytes;
  });
  m_blobs.set_budget(m_budget);
  // A store already past the bound is brought under it now, as far as open files allow.
  if (used > bound) {
    auto report = evict_bytes(*this, used - bound);
    if (!report) return tl::unexpected(report.error());
    m_budget->count_evicted(report->evicted_blobs, report->evicted_bytes);
    m_budget->release(report->evicted_bytes);
  }
  return {};
}

util::Result<void> Store::put(Ref ref) {
  ref.learned_at = m_clock.now();
  auto put = m_index->put_ref(ref);
  m_ref_generation.fetch_add(1, std::memory_order_acq_rel);
  return put;
}

util::Result<std::optional<Found<HubObject>>> Store::open_hub_object(const HubObjectKey& key,
                                                                     CredentialMatch match) {
  auto object = m_index->find_hub_object(key, match);
  if (!object) return tl::unexpected(object.error());
  if (!*object) return std::nullopt;
  auto body = m_blobs.open((*object)->blob);
  if (!body) return tl::unexpected(body.error());
  // Evicted between the lookup and the open: its row is gone too, so this is a plain miss.
  if (!*body) return std::nullopt;
  if (auto r = note_hub_object_use((*object)->key); !r) return tl::unexpected(r.error());
  return Found<HubObject>{std::move(**object), std::move(*body)};
}

util::Result<std::optional<Found<Exchange>>> Store::open_exchange(const std::string& key) {
  auto exchange = m_index->find_exchange(key);
  if (!exchange) return tl::unexpected(exchange.error());
  if (!*exchange) return std::nullopt;
  std::optional<BlobReader> body;
  if ((*exchange)->blob) {
    auto opened = m_blobs.open(*(*exchange)->blob);
    if (!opened) return tl::unexpected(opened.error());
    if (!*opened) return std::nullopt;
    body = std::move(*opened);
  }
  if (auto r = note_exchange_use(key); !r) return tl::unexpected(r.error());
  return Found<Exchange>{std::move(**exchange), std::move(body)};
}

} // namespace store

namespace store {

bool Store::touch_due(const std::string& name, util::UnixMillis now) {
  constexpr std::size_t k_max_remembered = 100'000;
  std::lock_guard lock(m_touch_mutex);
  auto [it, inserted] = m_touched.try_emplace(name, now);
  if (!inserted && now - it->second < Index::k_touch_granularity_ms) return false;
  it->second = now;
  if (m_touched.size() > k_max_remembered) {
    m_touched.clear();  // forgetting only costs a few redundant reads
    m_touched.emplace(name, now);
  }
  return true;
}

util::Result<void> Store::note_exchange_use(const std::string& key) {
  const auto now = m_clock.now();
  if (!touch_due("x " + key, now)) return {};
  return m_index->touch_exchange(key, now);
}

util::Result<void> Store::note_hub_object_use(const HubObjectKey& key) {
  const auto now = m_clock.now();
  const std::string name = "h " + std::string(to_string(key.repo_type)) + " " + key.repo_id.str() +
                           " " + key.commit.str() + " " + key.path.str() + " " + key.credential;
  if (!touch_due(name, now)) return {};
  return m_index->touch_hub_object(key, now);
}

} // namespace store
