// hubcache.lock: a reviewable, sorted list of exactly what a cache holds or what a run used,
// pinned by content. `hubcache lock` writes it; `preload --lock` fetches exactly it and
// verifies every hash; `--mode replay --lock` answers only what it names.
//
//   # comments
//   ref   TYPE  REPO  NAME  COMMIT
//   file  TYPE  REPO  COMMIT  SHA256  SIZE  PATH
//   url   SHA256  SIZE  URL
//
// Fields are separated by one tab; PATH and URL come last, so they may hold spaces. Lines
// are sorted, so a change to the cache is a small diff in review.
#pragma once

#include "store/store.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace hub {

struct LockedRef {
  store::RepoType type = store::RepoType::model;
  store::RepoId repo_id;
  store::Revision name;  // "main", "v1.0"
  store::CommitId commit;
};

struct LockedFile {
  store::RepoType type = store::RepoType::model;
  store::RepoId repo_id;
  store::CommitId commit;
  store::RepoPath path;
  util::Sha256 sha256 = util::Sha256::of(std::string_view());
  std::uint64_t size = 0;
};

struct LockedUrl {
  std::string url;
  util::Sha256 sha256 = util::Sha256::of(std::string_view());
  std::uint64_t size = 0;
};

class Lockfile {
public:
  void add(LockedRef ref);
  void add(LockedFile file);
  void add(LockedUrl url);

  // The text, sorted; the same content gives the same bytes.
  std::string render() const;

  // The commit a locked branch or tag names.
  std::optional<store::CommitId> commit_of(store::RepoType type, const store::RepoId& repo_id,
                                           const store::Revision& name) const;
  const LockedFile* file(store::RepoType type, const store::RepoId& repo_id,
                         const store::CommitId& commit, const store::RepoPath& path) const;
  const LockedUrl* url(const std::string& url) const;

  const std::vector<LockedRef>& refs() const { return m_refs; }
  const std::vector<LockedFile>& files() const { return m_files; }
  const std::vector<LockedUrl>& urls() const { return m_urls; }
  bool empty() const { return m_refs.empty() && m_files.empty() && m_urls.empty(); }

private:
  using RepoKey = std::tuple<store::RepoType, store::RepoId, store::Revision>;
  using FileKey = std::tuple<store::RepoType, store::RepoId, store::CommitId, store::RepoPath>;
  std::vector<LockedRef> m_refs;
  std::vector<LockedFile> m_files;
  std::vector<LockedUrl> m_urls;
  std::map<RepoKey, std::size_t> m_ref_index;
  std::map<FileKey, std::size_t> m_file_index;
  std::map<std::string, std::size_t> m_url_index;
};

// Parses a lockfile. Errc::invalid_argument with one "FILE:LINE: what" line per bad line
// (every name is validated: a lockfile may come from a pull request); a line holding a
// control character other than the tabs between fields is a bad line.
util::Result<Lockfile> parse_lockfile(std::string_view text, const std::string& file);

// What the store holds: every ref, every Hub file, and every recorded 2xx GET with a body
// (the Hub's listings and answers are left out: replay under a lock makes them from it).
util::Result<Lockfile> lock_store(store::Store& store);

// What a `run --report` says was served, resolved against the store that served it.
// Errors name the requests the store cannot account for.
util::Result<Lockfile> lock_report(store::Store& store, const std::string& report_json);

} // namespace hub
