// A store: the blob folder and the index, tied together so that an entry never names a
// missing or partial blob. Start here to see how a body is written, indexed and read.
#pragma once

#include "store/blob_store.hpp"
#include "store/entry.hpp"
#include "store/index.hpp"
#include "store/layout.hpp"
#include "store/space_budget.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace store {

enum class OpenMode { create_if_missing, must_exist };

template <typename Entry> struct Found {
  Entry entry;
  std::optional<BlobReader> body; // pinned while this lives; empty for an entry with no body
};

// Safe from any thread; several processes may open the same store at once. `clock` must
// outlive the store.
class Store {
public:
  // Opens the store at `root`. must_exist: Errc::invalid_argument if there is none.
  // Errc::unsupported: written by a newer hubcache (left untouched).
  static util::Result<std::unique_ptr<Store>>
  open(const std::filesystem::path& root, OpenMode mode,
       const util::Clock& clock = util::SystemClock::instance());

  // Writing: begin_blob(), write the bytes, commit() the writer (that checks and pins the blob),
  // then put() the entry while still holding the pinned reader.
  util::Result<BlobWriter> begin_blob() const { return m_blobs.begin_write(); }
  // The same for a body known to hash to `expected`, resumable across fetches and processes
  // (see BlobStore::begin_resumable).
  util::Result<BlobWriter> begin_resumable_blob(const util::Sha256& expected) const {
    return m_blobs.begin_resumable(expected);
  }
  util::Result<void> put(const BlobReader& body, HubObject object);
  util::Result<void> put(const BlobReader* body, Exchange exchange);
  util::Result<void> put(Ref ref);

  // Reading: the entry and its body, pinned, or std::nullopt on a miss. Records the access.
  util::Result<std::optional<Found<HubObject>>> open_hub_object(
      const HubObjectKey& key, CredentialMatch match = CredentialMatch::exact);
  util::Result<std::optional<Found<Exchange>>> open_exchange(const std::string& key);
  util::Result<std::optional<Ref>> find_ref(RepoType type, const RepoId& repo_id,
                                            const Revision& name,
                                            const std::string& credential = {},
                                            CredentialMatch match = CredentialMatch::exact) {
    return m_index->find_ref(type, repo_id, name, credential, match);
  }

  // Counters this process bumps after each change it makes to the refs, or to the exchanges,
  // is committed: a memory of what was read may be kept while they stay as they were read
  // (read them *before* the read). Other processes' changes are not counted.
  std::uint64_t ref_generation() const { return m_ref_generation.load(std::memory_order_acquire); }
  std::uint64_t exchange_generation() const {
    return m_exchange_generation.load(std::memory_order_acquire);
  }

  // Records a use of exchange `key` for LRU. Cheap when repeated: a key touched by this
  // process within Index::k_touch_granularity_ms is not touched again.
  util::Result<void> note_exchange_use(const std::string& key);
  util::Result<void> note_hub_object_use(const HubObjectKey& key);

  // Bounds the bytes this process lets the store hold (blobs and temp files) to `bound`,
  // evicting least recently used blobs nobody has open to make room (space_budget.hpp).
  util::Result<void> set_bound(std::uint64_t bound);
  // Null when unbounded.
  const SpaceBudget* budget() const { return m_budget.get(); }

  const Layout& layout() const { return m_layout; }
  const BlobStore& blobs() const { return m_blobs; }
  Index& index() { return *m_index; }
  const util::Clock& clock() const { return m_clock; }

private:
  Store(Layout layout, std::unique_ptr<Index> index, const util::Clock& clock)
      : m_layout(layout), m_blobs(layout), m_index(std::move(index)), m_clock(clock) {}

  // True (and remembers `now`) if `name` was not noted within the touch granularity.
  bool touch_due(const std::string& name, util::UnixMillis now);

  Layout m_layout;
  BlobStore m_blobs;
  std::unique_ptr<Index> m_index;
  const util::Clock& m_clock;
  std::shared_ptr<SpaceBudget> m_budget;
  std::atomic<std::uint64_t> m_ref_generation{0};
  std::atomic<std::uint64_t> m_exchange_generation{0};
  std::mutex m_touch_mutex;
  std::unordered_map<std::string, util::UnixMillis> m_touched;  // bounded, see touch_due()
};

} // namespace store
