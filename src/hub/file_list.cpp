#include "hub/file_list.hpp"

#include "util/file.hpp"

#include <algorithm>

namespace hub {

std::string file_list_key(store::RepoType type, const store::RepoId& repo_id,
                          const store::CommitId& commit, const std::string& scope) {
  return "hub-files " + std::string(store::to_string(type)) + " " + repo_id.str() + " " +
         commit.str() + (scope.empty() ? "" : " credential=" + scope);
}

util::Result<void> put_record(store::Store& store, const std::string& key, const std::string& body,
                              std::string content_type) {
  auto writer = store.begin_blob();
  if (!writer) return tl::unexpected(writer.error());
  if (auto r = writer->write(body); !r) return r;
  auto blob = writer->commit({body.size(), std::nullopt});
  if (!blob) return tl::unexpected(blob.error());
  store::Exchange exchange;
  exchange.key = key;
  exchange.method = "GET";
  exchange.url = key;
  exchange.status = 200;
  exchange.headers = {{"Content-Type", std::move(content_type)}};
  return store.put(&*blob, std::move(exchange));
}

util::Result<void> put_file_list(store::Store& store, store::RepoType type,
                                 const store::RepoId& repo_id, const store::CommitId& commit,
                                 const std::string& scope, std::vector<store::RepoPath> paths) {
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::string body;
  for (const auto& path : paths) body += path.str() + "\n";  // a path holds no newline
  return put_record(store, file_list_key(type, repo_id, commit, scope), body,
                    "text/plain; charset=utf-8");
}

namespace {

// The list's text; std::nullopt when none was recorded.
util::Result<std::optional<std::string>> list_text(store::Store& store, store::RepoType type,
                                                   const store::RepoId& repo_id,
                                                   const store::CommitId& commit,
                                                   const std::string& scope) {
  auto found = store.open_exchange(file_list_key(type, repo_id, commit, scope));
  if (!found) return tl::unexpected(found.error());
  if (!*found || !(*found)->body) return std::optional<std::string>();
  const auto& body = *(*found)->body;
  auto text = util::read_text_at(body.fd(), body.size());
  if (!text) return tl::unexpected(text.error());
  return std::optional<std::string>(std::move(*text));
}

} // namespace

util::Result<std::optional<std::vector<store::RepoPath>>> file_list(store::Store& store,
                                                                    store::RepoType type,
                                                                    const store::RepoId& repo_id,
                                                                    const store::CommitId& commit,
                                                                    const std::string& scope) {
  auto text = list_text(store, type, repo_id, commit, scope);
  if (!text) return tl::unexpected(text.error());
  if (!*text) return std::optional<std::vector<store::RepoPath>>();
  std::vector<store::RepoPath> paths;
  std::size_t start = 0;
  while (start < (*text)->size()) {
    auto end = (*text)->find('\n', start);
    if (end == std::string::npos) end = (*text)->size();
    auto path = store::RepoPath::parse(std::string_view(**text).substr(start, end - start));
    if (!path) return util::fail(util::Errc::corrupt, "a file list names a line that is not a path");
    paths.push_back(std::move(*path));
    start = end + 1;
  }
  return std::optional<std::vector<store::RepoPath>>(std::move(paths));
}

util::Result<std::optional<bool>> file_listed(store::Store& store, store::RepoType type,
                                              const store::RepoId& repo_id,
                                              const store::CommitId& commit,
                                              const std::string& scope, const store::RepoPath& path) {
  auto read = list_text(store, type, repo_id, commit, scope);
  if (!read) return tl::unexpected(read.error());
  if (!*read) return std::optional<bool>();
  const std::string& text = **read;
  const std::string needle = path.str() + "\n";
  for (std::size_t at = 0; (at = text.find(needle, at)) != std::string::npos; ++at) {
    if (at == 0 || text[at - 1] == '\n') return std::optional<bool>(true);
  }
  return std::optional<bool>(false);
}

} // namespace hub
