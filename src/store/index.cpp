#include "store/index.hpp"

#include "hubcache/version.hpp"
#include "store/index_schema.hpp"
#include "util/json_text.hpp"

#include <chrono>
#include <limits>
#include <thread>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace store {

namespace {

// Long enough for a writer in another process to finish a burst of commits; past it the
// caller gets a clear "busy" error instead of waiting forever.
constexpr int k_busy_timeout_ms = 60'000;

std::string headers_to_json(const Headers& headers) {
  auto array = nlohmann::json::array();
  for (const auto& [name, value] : headers)
    array.push_back({name, value});
  return util::to_json_text(array);
}

// nullopt unless it is an array of [name, value] string pairs.
std::optional<Headers> headers_from_json(const std::string& text) {
  const auto array = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!array.is_array()) return std::nullopt;
  Headers headers;
  for (const auto& pair : array) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return std::nullopt;
    }
    headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return headers;
}

// The value as stored, all of it: with its length, not up to a first NUL (issue 14: a name
// with a NUL in it must never read back as a shorter one).
std::string text_column(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (!text) return "";
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

} // namespace

// A cached prepared statement, reset and unbound when this handle goes out of scope.
class Index::Statement {
public:
  explicit Statement(sqlite3_stmt* stmt) : m_stmt(stmt) {}
  ~Statement() {
    if (m_stmt) {
      sqlite3_reset(m_stmt);
      sqlite3_clear_bindings(m_stmt);
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return m_stmt != nullptr; }
  sqlite3_stmt* get() const { return m_stmt; }

  Statement& bind(int index, const std::string& value) {
    sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::string_view value) { return bind(index, std::string(value)); }
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(m_stmt, index, value);
    return *this;
  }
  Statement& bind(int index, const util::Sha256& digest) { return bind(index, digest.hex()); }
  template <typename Rule> Statement& bind(int index, const Name<Rule>& name) {
    return bind(index, name.str());
  }
  Statement& bind_null(int index) {
    sqlite3_bind_null(m_stmt, index);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(m_stmt); }

private:
  sqlite3_stmt* m_stmt;
};

// BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading
// a read transaction; the busy timeout makes the second one wait its turn.
class Index::Transaction {
public:
  explicit Transaction(Index& index) : m_index(index) {
    m_begun = sqlite3_exec(index.m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (m_begun) sqlite3_exec(m_index.m_db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  util::Result<void> begun() const {
    if (!m_begun) return tl::unexpected(m_index.error("begin transaction"));
    return {};
  }
  util::Result<void> commit() {
    if (sqlite3_exec(m_index.m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return tl::unexpected(m_index.error("commit"));
    }
    m_begun = false;
    return {};
  }

private:
  Index& m_index;
  bool m_begun = false;
};

util::Error Index::with_path(util::Error error) const {
  error.message = m_path.string() + ": " + error.message;
  return error;
}

util::Error Index::error(const std::string& what) const {
  const int code = sqlite3_extended_errcode(m_db) & 0xff;
  const std::string detail = m_path.string() + ": " + what + ": " + sqlite3_errmsg(m_db);
  switch (code) {
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return {util::Errc::corrupt,
            detail + " (the index is damaged; move the store aside and record again)"};
  case SQLITE_FULL:
    return {util::Errc::io, detail + " (the disk is full)"};
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return {util::Errc::io, detail + " (another process held the store too long; try again)"};
  default:
    return {util::Errc::io, detail};
  }
}

Index::Statement Index::prepare(const char* sql) {
  for (auto& [text, stmt] : m_statements) {
    if (text == sql) return Statement(stmt);
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return Statement(nullptr);
  }
  m_statements.emplace_back(sql, stmt);
  return Statement(stmt);
}

util::Result<void> Index::exec(const char* sql) {
  if (sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(error(sql));
  }
  return {};
}

namespace {

int read_user_version(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    version = sqlite3_column_int(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return version;
}

std::string read_written_by(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  std::string value = "a newer hubcache";
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'written_by'", -1, &stmt,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    value = text_column(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return value;
}

} // namespace

util::Result<std::unique_ptr<Index>> Index::open(const std::filesystem::path& db_path, Source source) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(db_path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return util::fail(util::Errc::io, "cannot open " + db_path.string() + ": " + message);
  }
  if (source == Source::untrusted) {
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  }
  std::unique_ptr<Index> index(new Index(db, db_path));
  sqlite3_busy_timeout(db, k_busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);

  // Read the version before changing anything: a newer store must be left as it is.
  const auto newer_store = [&](int found) {
    return util::fail(util::Errc::unsupported, "store index " + db_path.string() + " has schema v" +
                                                   std::to_string(found) + ", written by " +
                                                   read_written_by(db) + "; this hubcache " +
                                                   hubcache::k_version + " knows up to v" +
                                                   std::to_string(k_schema_version) +
                                                   ": upgrade hubcache, or pass another --store");
  };
  const int found = read_user_version(db);
  if (found < 0) return tl::unexpected(index->error("read schema version"));
  if (found > k_schema_version) return newer_store(found);
  // WAL: readers never block the writer, and several processes share the file safely.
  // Switching to it needs the file to ourselves, and SQLite answers SQLITE_BUSY at once
  // (without the busy handler) when another process is opening the same new store: retry.
  for (int waited_ms = 0;; waited_ms += 10) {
    auto wal = index->exec("PRAGMA journal_mode = WAL");
    if (wal) break;
    if ((sqlite3_extended_errcode(db) & 0xff) != SQLITE_BUSY || waited_ms >= k_busy_timeout_ms) {
      return tl::unexpected(wal.error());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (auto r = index->exec("PRAGMA synchronous = NORMAL"); !r) return tl::unexpected(r.error());
  if (auto r = index->exec("PRAGMA foreign_keys = ON"); !r) return tl::unexpected(r.error());
  // Lookups are the hot path of every hit: map the first 256 MB of the file instead of a
  // pread per page, and cache 64 MB of pages rather than the 2 MB default (a 1 M-entry index
  // is ~600 MB; its inner B-tree pages then stay cached). Measured in bench/README.md.
  if (source == Source::untrusted) {
    if (auto r = index->exec("PRAGMA cell_size_check = ON"); !r) return tl::unexpected(r.error());
  } else if (auto r = index->exec("PRAGMA mmap_size = 268435456"); !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = index->exec("PRAGMA cache_size = -65536"); !r) return tl::unexpected(r.error());

  if (found < k_schema_version) {
    Transaction txn(*index);
    if (auto r = txn.begun(); !r) return tl::unexpected(r.error());
    // Another process may have migrated while we waited for the write lock.
    const int current = read_user_version(db);
    if (current > k_schema_version) return newer_store(current);
    for (const auto& step : index_schema::migrations()) {
      if (step.to_version <= current) continue;
      if (auto r = index->exec(step.sql); !r) return tl::unexpected(r.error());
      const std::string set = "PRAGMA user_version = " + std::to_string(step.to_version);
      if (auto r = index->exec(set.c_str()); !r) return tl::unexpected(r.error());
    }
    auto stmt = index->prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('written_by', ?)");
    stmt.bind(1, std::string("hubcache ") + hubcache::k_version);
    if (stmt.step() != SQLITE_DONE) return tl::unexpected(index->error("write meta"));
    if (auto r = txn.commit(); !r) return tl::unexpected(r.error());
  }
  return index;
}

Index::~Index() {
  for (auto& [text, stmt] : m_statements)
    sqlite3_finalize(stmt);
  sqlite3_close(m_db);
}

util::Result<void> Index::upsert_blob(const util::Sha256& digest, std::uint64_t size,
                                      util::UnixMillis stored_at, util::UnixMillis last_access) {
  auto stmt =
      prepare("INSERT INTO blobs (digest, size, stored_at, last_access) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (digest) DO UPDATE SET "
              "last_access = max(last_access, excluded.last_access)");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, digest)
      .bind(2, static_cast<std::int64_t>(size))
      .bind(3, stored_at)
      .bind(4, last_access);
  if (stmt.step() != SQLITE_DONE) return tl::unexpected(error("insert blob"));
  return {};
}

util::Result<void> Index::put_hub_object(const HubObject& object) {
  std::lock_guard lock(m_mutex);
  Transaction txn(*this);
  if (auto r = txn.begun(); !r) return r;
  if (auto r = upsert_blob(object.blob, object.size, object.stored_at, object.last_access); !r) {
    return r;
  }
  auto stmt = prepare("INSERT OR REPLACE INTO hub_objects (repo_type, repo_id, commit_sha, path, "
                      "credential, blob, size, etag, lfs, stored_at, last_access) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, to_string(object.key.repo_type))
      .bind(2, object.key.repo_id)
      .bind(3, object.key.commit)
      .bind(4, object.key.path)
      .bind(5, object.key.credential)
      .bind(6, object.blob)
      .bind(7, static_cast<std::int64_t>(object.size))
      .bind(8, object.etag)
      .bind(9, std::int64_t{object.lfs ? 1 : 0})
      .bind(10, object.stored_at)
      .bind(11, object.last_access);
  if (stmt.step() != SQLITE_DONE) return tl::unexpected(error("insert hub object"));
  return txn.commit();
}

util::Result<void> Index::put_exchange(const Exchange& exchange) {
  std::lock_guard lock(m_mutex);
  Transaction txn(*this);
  if (auto r = txn.begun(); !r) return r;
  if (exchange.blob) {
    auto r =
        upsert_blob(*exchange.blob, exchange.body_size, exchange.stored_at, exchange.last_access);
    if (!r) return r;
  }
  auto stmt = prepare("INSERT OR REPLACE INTO exchanges (key, method, url, status, headers, blob, "
                      "body_size, stored_at, last_access) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, exchange.key)
      .bind(2, exchange.method)
      .bind(3, exchange.url)
      .bind(4, std::int64_t{exchange.status})
      .bind(5, headers_to_json(exchange.headers));
  if (exchange.blob) {
    stmt.bind(6, *exchange.blob);
  } else {
    stmt.bind_null(6);
  }
  stmt.bind(7, static_cast<std::int64_t>(exchange.body_size))
      .bind(8, exchange.stored_at)
      .bind(9, exchange.last_access);
  if (stmt.step() != SQLITE_DONE) return tl::unexpected(error("insert exchange"));
  return txn.commit();
}

util::Result<void> Index::put_ref(const Ref& ref) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare("INSERT OR REPLACE INTO refs (repo_type, repo_id, name, credential, "
                      "commit_sha, learned_at) VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, to_string(ref.repo_type))
      .bind(2, ref.repo_id)
      .bind(3, ref.name)
      .bind(4, ref.credential)
      .bind(5, ref.commit)
      .bind(6, ref.learned_at);
  if (stmt.step() != SQLITE_DONE) return tl::unexpected(error("insert ref"));
  return {};
}

namespace {

constexpr const char* k_hub_object_columns =
    "repo_type, repo_id, commit_sha, path, blob, etag, size, lfs, stored_at, last_access, "
    "credential";

// A row another process or an archive wrote is outside input (DESIGN.md, "Trust"): each is
// read as the bytes stored and validated into entry values, or refused as Errc::corrupt.
tl::unexpected<util::Error> bad_row(const char* table, const char* column, std::string_view value) {
  return util::fail(util::Errc::corrupt, std::string("a row of ") + table + " has a bad " +
                                             column + " '" + util::printable(value) + "'");
}

util::Result<HubObject> hub_object_from_row(sqlite3_stmt* stmt) {
  const auto type = parse_repo_type(text_column(stmt, 0));
  if (!type) return bad_row("hub_objects", "repo_type", text_column(stmt, 0));
  auto repo_id = RepoId::parse(text_column(stmt, 1));
  if (!repo_id) return bad_row("hub_objects", "repo_id", text_column(stmt, 1));
  auto commit = CommitId::parse(text_column(stmt, 2));
  if (!commit) return bad_row("hub_objects", "commit", text_column(stmt, 2));
  auto path = RepoPath::parse(text_column(stmt, 3));
  if (!path) return bad_row("hub_objects", "path", text_column(stmt, 3));
  const auto blob = util::Sha256::from_hex(text_column(stmt, 4));
  if (!blob) return bad_row("hub_objects", "blob", text_column(stmt, 4));
  auto etag = Etag::parse(text_column(stmt, 5));
  if (!etag) return bad_row("hub_objects", "etag", text_column(stmt, 5));
  const auto size = sqlite3_column_int64(stmt, 6);
  if (size < 0) return bad_row("hub_objects", "size", std::to_string(size));
  auto credential = text_column(stmt, 10);
  if (!is_credential_scope(credential)) return bad_row("hub_objects", "credential", credential);
  return HubObject{HubObjectKey{*type, std::move(*repo_id), std::move(*commit), std::move(*path),
                                std::move(credential)},
                   *blob,
                   std::move(*etag),
                   static_cast<std::uint64_t>(size),
                   sqlite3_column_int(stmt, 7) != 0,
                   sqlite3_column_int64(stmt, 8),
                   sqlite3_column_int64(stmt, 9)};
}

constexpr const char* k_exchange_columns =
    "key, method, url, status, headers, blob, body_size, stored_at, last_access";

util::Result<Exchange> exchange_from_row(sqlite3_stmt* stmt) {
  Exchange exchange;
  exchange.key = text_column(stmt, 0);
  if (exchange.key.empty()) return bad_row("exchanges", "key", exchange.key);
  exchange.method = text_column(stmt, 1);
  if (exchange.method != "GET" && exchange.method != "HEAD" && exchange.method != "POST") {
    return bad_row("exchanges", "method", exchange.method);
  }
  exchange.url = text_column(stmt, 2);
  exchange.status = sqlite3_column_int(stmt, 3);
  if (exchange.status < 100 || exchange.status > 599) {
    return bad_row("exchanges", "status", std::to_string(exchange.status));
  }
  auto headers = headers_from_json(text_column(stmt, 4));
  if (!headers) return bad_row("exchanges", "headers", text_column(stmt, 4));
  exchange.headers = std::move(*headers);
  if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
    exchange.blob = util::Sha256::from_hex(text_column(stmt, 5));
    if (!exchange.blob) return bad_row("exchanges", "blob", text_column(stmt, 5));
  }
  const auto size = sqlite3_column_int64(stmt, 6);
  if (size < 0 || (!exchange.blob && size != 0)) return bad_row("exchanges", "body_size", std::to_string(size));
  exchange.body_size = static_cast<std::uint64_t>(size);
  exchange.stored_at = sqlite3_column_int64(stmt, 7);
  exchange.last_access = sqlite3_column_int64(stmt, 8);
  return exchange;
}

constexpr const char* k_ref_columns = "repo_type, repo_id, name, commit_sha, learned_at, credential";

util::Result<Ref> ref_from_row(sqlite3_stmt* stmt) {
  const auto type = parse_repo_type(text_column(stmt, 0));
  if (!type) return bad_row("refs", "repo_type", text_column(stmt, 0));
  auto repo_id = RepoId::parse(text_column(stmt, 1));
  if (!repo_id) return bad_row("refs", "repo_id", text_column(stmt, 1));
  auto name = Revision::parse(text_column(stmt, 2));
  if (!name) return bad_row("refs", "name", text_column(stmt, 2));
  auto commit = CommitId::parse(text_column(stmt, 3));
  if (!commit) return bad_row("refs", "commit", text_column(stmt, 3));
  auto credential = text_column(stmt, 5);
  if (!is_credential_scope(credential)) return bad_row("refs", "credential", credential);
  return Ref{*type, std::move(*repo_id), std::move(*name), std::move(*commit),
             sqlite3_column_int64(stmt, 4), std::move(credential)};
}

util::Result<BlobRow> blob_from_row(sqlite3_stmt* stmt) {
  const auto digest = util::Sha256::from_hex(text_column(stmt, 0));
  if (!digest) return bad_row("blobs", "digest", text_column(stmt, 0));
  const auto size = sqlite3_column_int64(stmt, 1);
  if (size < 0) return bad_row("blobs", "size", std::to_string(size));
  return BlobRow{*digest, static_cast<std::uint64_t>(size), sqlite3_column_int64(stmt, 2),
                 sqlite3_column_int64(stmt, 3)};
}

// ?5 = 1 takes any credential's row, the anonymous one first ('' sorts before any scope).
const std::string k_find_hub_object =
    std::string("SELECT ") + k_hub_object_columns +
    " FROM hub_objects WHERE repo_type = ?1 AND repo_id = ?2 AND commit_sha = ?3 AND path = ?4 "
    "AND (credential = ?6 OR ?5 = 1) ORDER BY credential LIMIT 1";
const std::string k_hub_objects_at =
    std::string("SELECT ") + k_hub_object_columns +
    " FROM hub_objects WHERE repo_type = ?1 AND repo_id = ?2 AND commit_sha = ?3 "
    "AND (credential = ?5 OR ?4 = 1) ORDER BY path, credential";
const std::string k_find_ref = std::string("SELECT ") + k_ref_columns +
                               " FROM refs WHERE repo_type = ?1 AND repo_id = ?2 AND name = ?3 "
                               "AND (credential = ?5 OR ?4 = 1) ORDER BY credential LIMIT 1";
const std::string k_all_refs =
    std::string("SELECT ") + k_ref_columns + " FROM refs ORDER BY repo_type, repo_id, name, credential";
const std::string k_all_hub_objects = std::string("SELECT ") + k_hub_object_columns +
                                      " FROM hub_objects ORDER BY repo_type, repo_id, commit_sha, "
                                      "path, credential";
const std::string k_find_exchange =
    std::string("SELECT ") + k_exchange_columns + " FROM exchanges WHERE key = ?";
const std::string k_all_exchanges =
    std::string("SELECT ") + k_exchange_columns + " FROM exchanges ORDER BY url, method, key";

} // namespace

util::Result<std::optional<HubObject>> Index::find_hub_object(const HubObjectKey& key,
                                                              CredentialMatch match) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare(k_find_hub_object.c_str());
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, to_string(key.repo_type))
      .bind(2, key.repo_id)
      .bind(3, key.commit)
      .bind(4, key.path)
      .bind(5, std::int64_t{match == CredentialMatch::any ? 1 : 0})
      .bind(6, key.credential);
  const int rc = stmt.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(error("find hub object"));
  auto row = hub_object_from_row(stmt.get());
  if (!row) return tl::unexpected(with_path(row.error()));
  return std::move(*row);
}

util::Result<std::optional<Ref>> Index::find_ref(RepoType type, const RepoId& repo_id,
                                                 const Revision& name,
                                                 const std::string& credential,
                                                 CredentialMatch match) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare(k_find_ref.c_str());
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, to_string(type))
      .bind(2, repo_id)
      .bind(3, name)
      .bind(4, std::int64_t{match == CredentialMatch::any ? 1 : 0})
      .bind(5, credential);
  const int rc = stmt.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(error("find ref"));
  auto row = ref_from_row(stmt.get());
  if (!row) return tl::unexpected(with_path(row.error()));
  return std::move(*row);
}

util::Result<std::vector<HubObject>> Index::hub_objects_at(RepoType type, const RepoId& repo_id,
                                                           const CommitId& commit,
                                                           const std::string& credential,
                                                           CredentialMatch match) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare(k_hub_objects_at.c_str());
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, to_string(type))
      .bind(2, repo_id)
      .bind(3, commit)
      .bind(4, std::int64_t{match == CredentialMatch::any ? 1 : 0})
      .bind(5, credential);
  std::vector<HubObject> objects;
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    auto object = hub_object_from_row(stmt.get());
    if (!object) continue;  // a damaged row names nothing (verify reports it)
    // With `any`, the first row of each path (the anonymous one if there is one).
    if (!objects.empty() && objects.back().key.path == object->key.path) continue;
    objects.push_back(std::move(*object));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("list hub objects"));
  return objects;
}

util::Result<std::optional<Exchange>> Index::find_exchange(const std::string& key) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare(k_find_exchange.c_str());
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, key);
  const int rc = stmt.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(error("find exchange"));
  auto row = exchange_from_row(stmt.get());
  if (!row) return tl::unexpected(with_path(row.error()));
  return std::move(*row);
}

util::Result<bool> Index::has_exchange_with_prefix(const std::string& prefix) {
  // The keys starting with `prefix` are those in [prefix, prefix with its last byte + 1):
  // BINARY collation compares bytes, and the range is what the key's b-tree can seek.
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  std::lock_guard lock(m_mutex);
  if (end.empty()) {
    auto stmt = prepare("SELECT 1 FROM exchanges WHERE key >= ? LIMIT 1");
    if (!stmt.ok()) return tl::unexpected(error("prepare"));
    stmt.bind(1, prefix);
    const int rc = stmt.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return tl::unexpected(error("find exchanges"));
    return rc == SQLITE_ROW;
  }
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  auto stmt = prepare("SELECT 1 FROM exchanges WHERE key >= ? AND key < ? LIMIT 1");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, prefix).bind(2, end);
  const int rc = stmt.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return tl::unexpected(error("find exchanges"));
  return rc == SQLITE_ROW;
}

util::Result<void> Index::touch_hub_object(const HubObjectKey& key, util::UnixMillis now) {
  std::lock_guard lock(m_mutex);
  const util::UnixMillis stale_before = now - k_touch_granularity_ms;
  // Read first: a hit on a recently touched entry then costs no write lock at all.
  {
    auto stmt = prepare("SELECT last_access FROM hub_objects WHERE repo_type = ? AND repo_id = ? "
                        "AND commit_sha = ? AND path = ?");
    if (!stmt.ok()) return tl::unexpected(error("prepare"));
    stmt.bind(1, to_string(key.repo_type))
        .bind(2, key.repo_id)
        .bind(3, key.commit)
        .bind(4, key.path);
    const int rc = stmt.step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return tl::unexpected(error("touch hub object"));
    if (sqlite3_column_int64(stmt.get(), 0) > stale_before) return {};
  }
  Transaction txn(*this);
  if (auto r = txn.begun(); !r) return r;
  auto stmt = prepare("UPDATE hub_objects SET last_access = ? WHERE repo_type = ? AND repo_id = ? "
                      "AND commit_sha = ? AND path = ? AND credential = ? RETURNING blob");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, now)
      .bind(2, to_string(key.repo_type))
      .bind(3, key.repo_id)
      .bind(4, key.commit)
      .bind(5, key.path)
      .bind(6, key.credential);
  std::string blob;
  int rc = stmt.step();
  if (rc == SQLITE_ROW) {
    blob = text_column(stmt.get(), 0);
    rc = stmt.step();
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("touch hub object"));
  if (!blob.empty()) {
    auto touch = prepare("UPDATE blobs SET last_access = max(last_access, ?) WHERE digest = ?");
    if (!touch.ok()) return tl::unexpected(error("prepare"));
    touch.bind(1, now).bind(2, blob);
    if (touch.step() != SQLITE_DONE) return tl::unexpected(error("touch blob"));
  }
  return txn.commit();
}

util::Result<void> Index::touch_exchange(const std::string& key, util::UnixMillis now) {
  std::lock_guard lock(m_mutex);
  const util::UnixMillis stale_before = now - k_touch_granularity_ms;
  {
    auto stmt = prepare("SELECT last_access FROM exchanges WHERE key = ?");
    if (!stmt.ok()) return tl::unexpected(error("prepare"));
    stmt.bind(1, key);
    const int rc = stmt.step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return tl::unexpected(error("touch exchange"));
    if (sqlite3_column_int64(stmt.get(), 0) > stale_before) return {};
  }
  Transaction txn(*this);
  if (auto r = txn.begun(); !r) return r;
  auto stmt = prepare("UPDATE exchanges SET last_access = ? WHERE key = ? RETURNING blob");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, now).bind(2, key);
  std::string blob;
  int rc = stmt.step();
  if (rc == SQLITE_ROW) {
    blob = text_column(stmt.get(), 0);
    rc = stmt.step();
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("touch exchange"));
  if (!blob.empty()) {
    auto touch = prepare("UPDATE blobs SET last_access = max(last_access, ?) WHERE digest = ?");
    if (!touch.ok()) return tl::unexpected(error("prepare"));
    touch.bind(1, now).bind(2, blob);
    if (touch.step() != SQLITE_DONE) return tl::unexpected(error("touch blob"));
  }
  return txn.commit();
}

util::Result<std::optional<BlobRow>> Index::find_blob(const util::Sha256& digest) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare("SELECT digest, size, stored_at, last_access FROM blobs WHERE digest = ?");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, digest);
  const int rc = stmt.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(error("find blob"));
  auto row = blob_from_row(stmt.get());
  if (!row) return tl::unexpected(with_path(row.error()));
  return *row;
}

util::Result<std::vector<BlobRow>> Index::blobs_by_access(std::size_t limit,
                                                          const std::optional<BlobRow>& after) {
  std::lock_guard lock(m_mutex);
  // Only rows named by a sha256 (64 lower-case hex): another name reads back as some other
  // digest, and a cursor made from it would return the same page forever (issue 14).
  auto stmt = prepare("SELECT digest, size, stored_at, last_access FROM blobs "
                      "WHERE (last_access, digest) > (?, ?) AND length(digest) = 64 "
                      "AND digest NOT GLOB '*[^0-9a-f]*' ORDER BY last_access, digest LIMIT ?");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, after ? after->last_access : std::numeric_limits<std::int64_t>::min())
      .bind(2, after ? after->digest.hex() : std::string())
      .bind(3, static_cast<std::int64_t>(limit));
  std::vector<BlobRow> rows;
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    if (auto row = blob_from_row(stmt.get())) rows.push_back(*row);
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("list blobs"));
  return rows;
}

util::Result<std::vector<BlobRow>> Index::unreferenced_blobs() {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare("SELECT digest, size, stored_at, last_access FROM blobs b WHERE "
                      "NOT EXISTS (SELECT 1 FROM hub_objects h WHERE h.blob = b.digest) AND "
                      "NOT EXISTS (SELECT 1 FROM exchanges e WHERE e.blob = b.digest)");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  std::vector<BlobRow> rows;
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    if (auto row = blob_from_row(stmt.get())) rows.push_back(*row);
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("list unreferenced blobs"));
  return rows;
}

util::Result<std::uint64_t> Index::delete_blob(const util::Sha256& digest) {
  std::lock_guard lock(m_mutex);
  Transaction txn(*this);
  if (auto r = txn.begun(); !r) return tl::unexpected(r.error());
  std::uint64_t entries = 0;
  {
    auto count = prepare("SELECT (SELECT count(*) FROM hub_objects WHERE blob = ?1) + "
                         "(SELECT count(*) FROM exchanges WHERE blob = ?1)");
    if (!count.ok()) return tl::unexpected(error("prepare"));
    count.bind(1, digest);
    if (count.step() != SQLITE_ROW) return tl::unexpected(error("count entries"));
    entries = static_cast<std::uint64_t>(sqlite3_column_int64(count.get(), 0));
  }
  auto stmt = prepare("DELETE FROM blobs WHERE digest = ?");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, digest);
  if (stmt.step() != SQLITE_DONE) return tl::unexpected(error("delete blob"));
  if (auto r = txn.commit(); !r) return tl::unexpected(r.error());
  return entries;
}

util::Result<bool> Index::delete_blob_if_unreferenced(const util::Sha256& digest) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare("DELETE FROM blobs WHERE digest = ?1 AND "
                      "NOT EXISTS (SELECT 1 FROM hub_objects WHERE blob = ?1) AND "
                      "NOT EXISTS (SELECT 1 FROM exchanges WHERE blob = ?1)");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  stmt.bind(1, digest);
  if (stmt.step() != SQLITE_DONE) return tl::unexpected(error("delete blob"));
  if (sqlite3_changes(m_db) > 0) return true;
  // Nothing deleted: either referenced, or the row was already gone (then it is garbage).
  auto check = prepare("SELECT 1 FROM blobs WHERE digest = ?");
  if (!check.ok()) return tl::unexpected(error("prepare"));
  check.bind(1, digest);
  const int rc = check.step();
  if (rc == SQLITE_DONE) return true;
  if (rc != SQLITE_ROW) return tl::unexpected(error("find blob"));
  return false;
}

util::Result<IndexCounts> Index::counts() {
  std::lock_guard lock(m_mutex);
  IndexCounts counts;
  // One read transaction, so the figures agree with each other.
  auto stmt = prepare("SELECT (SELECT count(*) FROM blobs), (SELECT total(size) FROM blobs), "
                      "(SELECT count(*) FROM hub_objects), (SELECT count(*) FROM refs), "
                      "(SELECT count(*) FROM exchanges), (SELECT min(last_access) FROM blobs), "
                      "(SELECT max(last_access) FROM blobs)");
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  if (stmt.step() != SQLITE_ROW) return tl::unexpected(error("count"));
  sqlite3_stmt* s = stmt.get();
  counts.blobs = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
  // total() is a double: in a damaged index it may be negative or past 2^64, where a cast
  // would be undefined behaviour (issue 14). A size is neither.
  const double bytes = sqlite3_column_double(s, 1);
  counts.blob_bytes = !(bytes > 0) ? 0
                      : bytes >= 18446744073709551616.0
                          ? std::numeric_limits<std::uint64_t>::max()
                          : static_cast<std::uint64_t>(bytes);
  counts.hub_objects = static_cast<std::uint64_t>(sqlite3_column_int64(s, 2));
  counts.refs = static_cast<std::uint64_t>(sqlite3_column_int64(s, 3));
  counts.exchanges = static_cast<std::uint64_t>(sqlite3_column_int64(s, 4));
  if (sqlite3_column_type(s, 5) != SQLITE_NULL) counts.oldest_access = sqlite3_column_int64(s, 5);
  if (sqlite3_column_type(s, 6) != SQLITE_NULL) counts.newest_access = sqlite3_column_int64(s, 6);
  return counts;
}

util::Result<void>
Index::for_each_blob(const std::function<util::Result<void>(const BlobRow&)>& visit) {
  // Paged, so the visitor may call back into the index (and take its time) between pages.
  std::optional<BlobRow> after;
  for (;;) {
    auto page = blobs_by_access(1000, after);
    if (!page) return tl::unexpected(page.error());
    if (page->empty()) return {};
    for (const auto& row : *page) {
      if (auto r = visit(row); !r) return r;
    }
    after = page->back();
  }
}

template <typename Entry>
void Index::visit_row(util::Result<Entry> row, const std::function<void(const Entry&)>& visit,
                      const InvalidRow& invalid) const {
  if (row) {
    visit(*row);
  } else if (invalid) {
    invalid(with_path(row.error()));
  }
}

util::Result<void> Index::for_each_hub_object(const std::function<void(const HubObject&)>& visit,
                                              const InvalidRow& invalid) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare(k_all_hub_objects.c_str());
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW)
    visit_row(hub_object_from_row(stmt.get()), visit, invalid);
  if (rc != SQLITE_DONE) return tl::unexpected(error("list hub objects"));
  return {};
}

util::Result<void> Index::for_each_ref(const std::function<void(const Ref&)>& visit,
                                       const InvalidRow& invalid) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare(k_all_refs.c_str());
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW)
    visit_row(ref_from_row(stmt.get()), visit, invalid);
  if (rc != SQLITE_DONE) return tl::unexpected(error("list refs"));
  return {};
}

util::Result<void> Index::for_each_exchange(const std::function<void(const Exchange&)>& visit,
                                            const InvalidRow& invalid) {
  std::lock_guard lock(m_mutex);
  auto stmt = prepare(k_all_exchanges.c_str());
  if (!stmt.ok()) return tl::unexpected(error("prepare"));
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW)
    visit_row(exchange_from_row(stmt.get()), visit, invalid);
  if (rc != SQLITE_DONE) return tl::unexpected(error("list exchanges"));
  return {};
}

util::Result<std::string> Index::meta_or_insert(const std::string& key, const std::string& value) {
  std::lock_guard lock(m_mutex);
  {
    auto insert = prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)");
    if (!insert.ok()) return tl::unexpected(error("prepare"));
    insert.bind(1, key).bind(2, value);
    if (insert.step() != SQLITE_DONE) return tl::unexpected(error("write meta"));
  }
  auto select = prepare("SELECT value FROM meta WHERE key = ?");
  if (!select.ok()) return tl::unexpected(error("prepare"));
  select.bind(1, key);
  if (select.step() != SQLITE_ROW) return tl::unexpected(error("read meta"));
  return text_column(select.get(), 0);
}

util::Result<void> Index::checkpoint() {
  std::lock_guard lock(m_mutex);
  return exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

} // namespace store
