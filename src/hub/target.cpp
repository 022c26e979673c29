#include "hub/target.hpp"

#include "util/hex.hpp"
#include "util/percent.hpp"

#include <vector>

namespace hub {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join_decoded(const std::vector<std::string_view>& parts, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (i > from) out += '/';
    out += util::percent_decode(parts[i]);
  }
  return out;
}

std::optional<store::RepoType> api_type(std::string_view segment) {
  if (segment == "models") return store::RepoType::model;
  if (segment == "datasets") return store::RepoType::dataset;
  if (segment == "spaces") return store::RepoType::space;
  return std::nullopt;
}

// The revision starting at parts[at]: one segment, percent-decoded; or a raw "refs/pr/N" or
// "refs/convert/X", which the JS client sends unencoded. Returns the index after it.
std::size_t take_revision(const std::vector<std::string_view>& parts, std::size_t at,
                          std::string& revision) {
  revision = util::percent_decode(parts[at]);
  if (revision == "refs" && at + 2 < parts.size() &&
      (parts[at + 1] == "pr" || parts[at + 1] == "convert")) {
    revision = "refs/" + std::string(parts[at + 1]) + "/" + util::percent_decode(parts[at + 2]);
    return at + 3;
  }
  return at + 1;
}

bool is_api_keyword(std::string_view segment) {
  return segment == "revision" || segment == "tree" || segment == "paths-info" ||
         segment == "xet-read-token";
}

} // namespace

bool is_commit(std::string_view revision) { return store::CommitRule::valid(revision); }

std::optional<store::CommitId> as_commit(const store::Revision& revision) {
  return store::CommitId::parse(revision.str());
}

std::string_view url_prefix(store::RepoType type) {
  switch (type) {
  case store::RepoType::model: return "";
  case store::RepoType::dataset: return "datasets/";
  case store::RepoType::space: return "spaces/";
  }
  return "";
}

namespace {

// Another /api/ question (whoami, agent-harnesses, a listing hubcache does not know): still
// the Hub's, recorded like the listings it knows.
util::Result<std::optional<Target>> other_api(Target out) {
  out.route = Route::api_other;
  out.repo_id.reset();
  out.revision.reset();
  out.path.reset();
  return std::optional<Target>(std::move(out));
}

} // namespace

namespace {

// The Hub target `out` with its names, each validated; Errc::invalid_argument names the one
// that is not.
util::Result<std::optional<Target>> with_names(Target out, std::string_view repo_id,
                                               const std::optional<std::string>& revision,
                                               const std::optional<std::string>& path) {
  auto repo = store::RepoId::from(repo_id);
  if (!repo) return tl::unexpected(repo.error());
  out.repo_id = std::move(*repo);
  if (revision) {
    auto valid = store::Revision::from(*revision);
    if (!valid) return tl::unexpected(valid.error());
    out.revision = std::move(*valid);
  }
  if (path) {
    auto valid = store::RepoPath::from(*path);
    if (!valid) return tl::unexpected(valid.error());
    out.path = std::move(*valid);
  }
  return std::optional<Target>(std::move(out));
}

} // namespace

namespace {

// /api/resolve-cache/{type}s/{repo}/{commit}/{path}, where the Hub's 307 sends a small file's
// resolve since 2025 (hf-protocol.md §11.1): the same Hub object as a resolve at that commit,
// so a client handed this URL is answered from what any resolve of the file recorded. The
// commit tells an "org/name" repo id from a legacy "name" one; the query (the original
// resolve and the ETag) says nothing the path does not.
util::Result<std::optional<Target>> resolve_cache(const std::vector<std::string_view>& parts,
                                                  Target out) {
  const auto type = parts.size() >= 3 ? api_type(parts[2]) : std::nullopt;
  if (!type) return other_api(std::move(out));
  out.type = *type;
  for (std::size_t length : {2u, 1u}) {
    const std::size_t commit = 3 + length;
    if (commit + 1 >= parts.size() || !is_commit(parts[commit])) continue;
    bool ok = true;
    for (std::size_t i = 3; i < commit; ++i) ok = ok && !parts[i].empty();
    if (!ok) continue;
    const std::string path = join_decoded(parts, commit + 1);
    if (path.empty()) continue;
    std::string repo_id(parts[3]);
    if (length == 2) repo_id += "/" + std::string(parts[4]);
    out.route = Route::resolve;
    return with_names(std::move(out), repo_id, std::string(parts[commit]), path);
  }
  return other_api(std::move(out));
}

} // namespace

util::Result<std::optional<Target>> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  Target out;
  const auto question = target.find('?');
  if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
  const auto parts = split(target.substr(1, question == std::string_view::npos
                                                 ? std::string_view::npos
                                                 : question - 1));

  if (!parts.empty() && parts[0] == "api") {
    if (parts.size() >= 2 && parts[1] == "telemetry") {
      out.route = Route::telemetry;
      return std::optional<Target>(std::move(out));
    }
    if (parts.size() >= 2 && parts[1] == "resolve-cache") return resolve_cache(parts, std::move(out));
    if (parts.size() < 3) return other_api(out);
    const auto type = api_type(parts[1]);
    if (!type || parts[2].empty()) return other_api(out);
    out.type = *type;
    // "org/name", or a legacy "name" directly followed by a keyword.
    std::string repo_id;
    std::size_t at;
    if (parts.size() >= 4 && is_api_keyword(parts[3])) {
      repo_id = std::string(parts[2]);
      at = 3;
    } else if (parts.size() >= 4 && !parts[3].empty()) {
      repo_id = std::string(parts[2]) + "/" + std::string(parts[3]);
      at = 4;
    } else {
      repo_id = std::string(parts[2]);
      at = 3;
    }
    if (at == parts.size()) {
      out.route = Route::repo_info;
      return with_names(std::move(out), repo_id, std::nullopt, std::nullopt);
    }
    const auto keyword = parts[at];
    if (at + 1 >= parts.size()) return other_api(out);
    if (keyword == "revision") {
      out.route = Route::repo_info;
      return with_names(std::move(out), repo_id, join_decoded(parts, at + 1), std::nullopt);
    }
    if (keyword == "paths-info" || keyword == "xet-read-token") {
      out.route = keyword == "paths-info" ? Route::paths_info : Route::xet_token;
      return with_names(std::move(out), repo_id, join_decoded(parts, at + 1), std::nullopt);
    }
    if (keyword == "tree") {
      out.route = Route::tree;
      std::string revision;
      const auto next = take_revision(parts, at + 1, revision);
      const std::string folder = join_decoded(parts, next);
      return with_names(std::move(out), repo_id, revision,
                        folder.empty() ? std::nullopt : std::optional(folder));
    }
    return other_api(out);
  }

  std::size_t at = 0;
  if (!parts.empty() && (parts[0] == "datasets" || parts[0] == "spaces")) {
    out.type = parts[0] == "datasets" ? store::RepoType::dataset : store::RepoType::space;
    at = 1;
  }
  // /{org}/{name}/resolve/... or legacy /{name}/resolve/...
  for (std::size_t length : {2u, 1u}) {
    const std::size_t keyword = at + length;
    if (keyword + 2 < parts.size() && (parts[keyword] == "resolve" || parts[keyword] == "raw")) {
      bool ok = true;
      for (std::size_t i = at; i < keyword; ++i) ok = ok && !parts[i].empty();
      if (!ok) continue;
      out.route = Route::resolve;
      std::string repo_id(parts[at]);
      if (length == 2) repo_id += "/" + std::string(parts[at + 1]);
      std::string revision;
      const auto next = take_revision(parts, keyword + 1, revision);
      if (next >= parts.size()) return std::nullopt;
      const std::string path = join_decoded(parts, next);
      if (path.empty() || revision.empty()) return std::nullopt;
      return with_names(std::move(out), repo_id, revision, path);
    }
  }
  return std::nullopt;
}

} // namespace hub
