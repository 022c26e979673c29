#include "preload/tree_listing.hpp"

#include <nlohmann/json.hpp>

namespace preload {

util::Result<std::vector<Listed>> list_tree(const EngineClient& client, const RepoEntry& repo,
                                            const store::CommitId& commit) {
  std::vector<Listed> files;
  // requests and httpx spell booleans "True"/"False".
  std::optional<std::string> target = "/api/" + api_plural(repo.type) + "/" + repo.repo_id.str() +
                                      "/tree/" + commit.str() + "?recursive=True&expand=False";
  const auto text = [](const nlohmann::json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  const auto number = [](const nlohmann::json& object, const char* key) -> std::optional<std::uint64_t> {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number_unsigned()) return std::nullopt;
    return found->get<std::uint64_t>();
  };
  for (int page = 0; target && page < 10'000; ++page) {
    auto reply = client.get(*target);
    if (!reply) return tl::unexpected(reply.error());
    if (reply->status != 200) {
      return util::fail(util::Errc::upstream_status, "listing the files at " + commit.str() + ": " +
                                                         std::to_string(reply->status) + " " +
                                                         error_text(*reply));
    }
    const auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (!json.is_array()) {
      return util::fail(util::Errc::upstream_status, "the tree listing is not a JSON array");
    }
    for (const auto& item : json) {
      if (!item.is_object() || text(item, "type") != "file") continue;
      auto path = store::RepoPath::parse(text(item, "path"));
      if (!path) {
        return util::fail(util::Errc::upstream_status,
                          "the tree listing names '" + util::printable(text(item, "path")) +
                              "', which is not a path in a repository");
      }
      Listed file{std::move(*path), number(item, "size").value_or(0), std::nullopt, text(item, "oid")};
      if (const auto lfs = item.find("lfs"); lfs != item.end() && lfs->is_object()) {
        file.lfs_sha256 = util::Sha256::from_hex(text(*lfs, "oid"));
        if (const auto size = number(*lfs, "size")) file.size = *size;
      }
      files.push_back(std::move(file));
    }
    target.reset();
    if (auto next = util::next_link(reply->headers)) {
      // The engine points the Link at itself, the Hub at itself: keep the path and query.
      const auto scheme = next->find("://");
      const auto slash = scheme == std::string::npos ? 0 : next->find('/', scheme + 3);
      if (slash != std::string::npos) target = next->substr(slash);
    }
  }
  return files;
}

} // namespace preload
