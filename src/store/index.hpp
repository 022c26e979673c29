// The SQLite index (index.db, WAL): blobs, hub objects, refs and exchanges. The only code
// that speaks SQL. Several processes may open the same index at once.
#pragma once

#include "store/entry.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace store {

struct BlobRow {
  util::Sha256 digest;
  std::uint64_t size = 0;
  util::UnixMillis stored_at = 0;
  util::UnixMillis last_access = 0;
};

struct IndexCounts {
  std::uint64_t blobs = 0;
  std::uint64_t blob_bytes = 0;
  std::uint64_t hub_objects = 0;
  std::uint64_t refs = 0;
  std::uint64_t exchanges = 0;
  std::optional<util::UnixMillis> oldest_access;
  std::optional<util::UnixMillis> newest_access;
};

// Every method is one transaction and safe from any thread (one connection, serialised).
// Errors: Errc::corrupt when index.db is damaged, Errc::unsupported for a newer schema,
// Errc::io for everything else (disk full, busy past the timeout).
class Index {
public:
  // The schema this build writes. Migrations bring older stores up to it.
  static constexpr int k_schema_version = 2;

  // Whose file it is. `untrusted`: someone else's (a baked archive being imported): SQLite's
  // defensive mode, no trusted schema (a view or trigger in the file runs no function with
  // side effects), no memory map, cell checks on; rows are validated as always.
  enum class Source { own, untrusted };

  // Opens (creating if missing) and migrates `db`. A store written by a newer hubcache is
  // refused with Errc::unsupported and left untouched.
  static util::Result<std::unique_ptr<Index>> open(const std::filesystem::path& db,
                                                   Source source = Source::own);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // Writes. Each inserts or refreshes the blob row it names (the blob must be pinned by the
  // caller, see blob_lock.hpp), and replaces an entry with the same key.
  util::Result<void> put_hub_object(const HubObject& object);
  util::Result<void> put_exchange(const Exchange& exchange);
  util::Result<void> put_ref(const Ref& ref);

  // With CredentialMatch::any, key.credential is ignored and any scope's row is returned
  // (the anonymous one first).
  util::Result<std::optional<HubObject>> find_hub_object(
      const HubObjectKey& key, CredentialMatch match = CredentialMatch::exact);
  util::Result<std::optional<Ref>> find_ref(RepoType type, const RepoId& repo_id,
                                            const Revision& name,
                                            const std::string& credential = {},
                                            CredentialMatch match = CredentialMatch::exact);
  // Every file known at (type, repo, commit), path order; with `any`, one row per path.
  util::Result<std::vector<HubObject>> hub_objects_at(RepoType type, const RepoId& repo_id,
                                                      const CommitId& commit,
                                                      const std::string& credential,
                                                      CredentialMatch match);
  util::Result<std::optional<Exchange>> find_exchange(const std::string& key);
  // Whether any exchange's key starts with `prefix` (non-empty): a range scan of the primary
  // key, as cheap in a large store as in a small one.
  util::Result<bool> has_exchange_with_prefix(const std::string& prefix);

  // Records an access for LRU on the entry and its blob. Coarse: a time within
  // k_touch_granularity_ms of the stored one is not written again.
  static constexpr util::UnixMillis k_touch_granularity_ms = 60'000;
  util::Result<void> touch_hub_object(const HubObjectKey& key, util::UnixMillis now);
  util::Result<void> touch_exchange(const std::string& key, util::UnixMillis now);

  util::Result<std::optional<BlobRow>> find_blob(const util::Sha256& digest);
  // Least recently used first, at most `limit`, starting after `after` (paging). A row not
  // named by a sha256 (only a damaged index has one) is skipped.
  util::Result<std::vector<BlobRow>> blobs_by_access(std::size_t limit,
                                                     const std::optional<BlobRow>& after);
  // Blob rows that no entry names.
  util::Result<std::vector<BlobRow>> unreferenced_blobs();
  // Deletes a blob row and, by cascade, every entry naming it; returns how many entries went.
  util::Result<std::uint64_t> delete_blob(const util::Sha256& digest);

  // Deletes a blob row only if no entry names it; false (and nothing deleted) otherwise.
  util::Result<bool> delete_blob_if_unreferenced(const util::Sha256& digest);

  util::Result<IndexCounts> counts();
  util::Result<void> for_each_blob(const std::function<util::Result<void>(const BlobRow&)>& visit);
  // Rows that do not validate (a damaged or hostile index: a bad name, digest or header list)
  // are not visited; `invalid` gets an Errc::corrupt error for each. A lookup that meets one
  // returns that error; a listing (hub_objects_at, blobs_by_access) leaves it out.
  using InvalidRow = std::function<void(const util::Error&)>;
  util::Result<void> for_each_hub_object(const std::function<void(const HubObject&)>& visit,
                                         const InvalidRow& invalid = {});
  util::Result<void> for_each_ref(const std::function<void(const Ref&)>& visit,
                                  const InvalidRow& invalid = {});
  util::Result<void> for_each_exchange(const std::function<void(const Exchange&)>& visit,
                                       const InvalidRow& invalid = {});

  // The value of meta `key`, inserting `value` first if there is none yet (atomically, so
  // every process sharing the store agrees).
  util::Result<std::string> meta_or_insert(const std::string& key, const std::string& value);

  // Makes the WAL small again (checkpoint). Used after bulk changes.
  util::Result<void> checkpoint();

private:
  class Statement;
  class Transaction;
  explicit Index(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}
  Statement prepare(const char* sql);
  util::Error error(const std::string& what) const;
  util::Error with_path(util::Error error) const;  // the index's file name before the message
  template <typename Entry>
  void visit_row(util::Result<Entry> row, const std::function<void(const Entry&)>& visit,
                 const InvalidRow& invalid) const;
  util::Result<void> exec(const char* sql);
  util::Result<void> upsert_blob(const util::Sha256& digest, std::uint64_t size,
                                 util::UnixMillis stored_at, util::UnixMillis last_access);

  sqlite3* m_db;
  std::filesystem::path m_path;
  std::mutex m_mutex;
  std::vector<std::pair<const char*, sqlite3_stmt*>> m_statements; // cache, keyed by SQL text
};

} // namespace store
