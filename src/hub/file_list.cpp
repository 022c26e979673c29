#include "hub/file_list.hpp"

#include "util/file.hpp"

#include <algorithm>

namespace hub {

std::string file_list_key(store::RepoType type, const store::RepoId& repo_id,
                          const store::CommitId& commit, const std::string& scope) {
  return "hub-files " + std::string(store::to_string(type)) + " " + repo_id.str() + " " +
         commit.str() + (scope.empty() ? "" : " credential=" + scope);
}

util::Result<void> put_file_list(store::Store& store, store::RepoType type,
                                 const store::RepoId& repo_id, const store::CommitId& commit,
                                 const std::string& scope, std::vector<store::RepoPath> paths) {
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::string body;
  for (const auto& path : paths) body += path.str() + "\n";  // a path holds no newline
  auto writer = store.begin_blob();
  if (!writer) return tl::unexpected(writer.error());
  if (auto r = writer->write(body); !r) return r;
  auto blob = writer->commit({body.size(), std::nullopt});
  if (!blob) return tl::unexpected(blob.error());
  store::Exchange exchange;
  exchange.key = file_list_key(type, repo_id, commit, scope);
  exchange.method = "GET";
  exchange.url = exchange.key;
  exchange.status = 200;
  exchange.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  return store.put(&*blob, std::move(exchange));
}

util::Result<std::optional<bool>> file_listed(store::Store& store, store::RepoType type,
                                              const store::RepoId& repo_id,
                                              const store::CommitId& commit,
                                              const std::string& scope, const store::RepoPath& path) {
  auto found = store.open_exchange(file_list_key(type, repo_id, commit, scope));
  if (!found) return tl::unexpected(found.error());
  if (!*found || !(*found)->body) return std::optional<bool>();
  const auto& body = *(*found)->body;
  std::string text(body.size(), '\0');
  std::uint64_t done = 0;
  while (done < text.size()) {
    auto n = util::read_at(body.fd(),
                           std::span(reinterpret_cast<std::uint8_t*>(text.data()) + done,
                                     text.size() - done),
                           done);
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    done += *n;
  }
  text.resize(done);
  const std::string needle = path.str() + "\n";
  for (std::size_t at = 0; (at = text.find(needle, at)) != std::string::npos; ++at) {
    if (at == 0 || text[at - 1] == '\n') return std::optional<bool>(true);
  }
  return std::optional<bool>(false);
}

} // namespace hub
