#include "store/index_schema.hpp"

namespace store::index_schema {

namespace {

// v1: the first schema. Times are Unix milliseconds; digests 64 lower-case hex.
// An entry names its body by digest; ON DELETE CASCADE makes deleting a blob row remove every
// entry naming it in the same transaction, which is how eviction keeps "an entry never names
// a missing blob" (the row goes before the file does).
constexpr const char* k_v1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE blobs (
  digest      TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  stored_at   INTEGER NOT NULL,
  last_access INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blobs_by_access ON blobs (last_access, digest);

CREATE TABLE hub_objects (
  repo_type   TEXT NOT NULL,
  repo_id     TEXT NOT NULL,
  commit_sha  TEXT NOT NULL,
  path        TEXT NOT NULL,
  blob        TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  size        INTEGER NOT NULL,
  etag        TEXT NOT NULL,
  lfs         INTEGER NOT NULL,
  stored_at   INTEGER NOT NULL,
  last_access INTEGER NOT NULL,
  PRIMARY KEY (repo_type, repo_id, commit_sha, path)
) WITHOUT ROWID;
CREATE INDEX hub_objects_by_blob ON hub_objects (blob);

CREATE TABLE refs (
  repo_type  TEXT NOT NULL,
  repo_id    TEXT NOT NULL,
  name       TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  learned_at INTEGER NOT NULL,
  PRIMARY KEY (repo_type, repo_id, name)
) WITHOUT ROWID;

CREATE TABLE exchanges (
  key         TEXT PRIMARY KEY,
  method      TEXT NOT NULL,
  url         TEXT NOT NULL,
  status      INTEGER NOT NULL,
  headers     TEXT NOT NULL,
  blob        TEXT REFERENCES blobs (digest) ON DELETE CASCADE,
  body_size   INTEGER NOT NULL,
  stored_at   INTEGER NOT NULL,
  last_access INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX exchanges_by_blob ON exchanges (blob);
)sql";

// v2: hub objects and refs fetched with a credential are kept apart from anonymous ones:
// `credential` is the salted scope of the credential ("" for none) and part of the key, so
// one file recorded by two tokens is two rows naming one blob (DESIGN.md: content fetched with
// credentials is served only to a request presenting the same credential).
constexpr const char* k_v2 = R"sql(
CREATE TABLE hub_objects_v2 (
  repo_type   TEXT NOT NULL,
  repo_id     TEXT NOT NULL,
  commit_sha  TEXT NOT NULL,
  path        TEXT NOT NULL,
  credential  TEXT NOT NULL,
  blob        TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  size        INTEGER NOT NULL,
  etag        TEXT NOT NULL,
  lfs         INTEGER NOT NULL,
  stored_at   INTEGER NOT NULL,
  last_access INTEGER NOT NULL,
  PRIMARY KEY (repo_type, repo_id, commit_sha, path, credential)
) WITHOUT ROWID;
INSERT INTO hub_objects_v2
  SELECT repo_type, repo_id, commit_sha, path, '', blob, size, etag, lfs, stored_at, last_access
  FROM hub_objects;
DROP TABLE hub_objects;
ALTER TABLE hub_objects_v2 RENAME TO hub_objects;
CREATE INDEX hub_objects_by_blob ON hub_objects (blob);

CREATE TABLE refs_v2 (
  repo_type  TEXT NOT NULL,
  repo_id    TEXT NOT NULL,
  name       TEXT NOT NULL,
  credential TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  learned_at INTEGER NOT NULL,
  PRIMARY KEY (repo_type, repo_id, name, credential)
) WITHOUT ROWID;
INSERT INTO refs_v2 SELECT repo_type, repo_id, name, '', commit_sha, learned_at FROM refs;
DROP TABLE refs;
ALTER TABLE refs_v2 RENAME TO refs;
)sql";

constexpr Migration k_migrations[] = {
    {1, k_v1},
    {2, k_v2},
};

} // namespace

std::span<const Migration> migrations() {
  return k_migrations;
}

} // namespace store::index_schema
