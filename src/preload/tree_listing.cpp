#include "preload/tree_listing.hpp"

#include <nlohmann/json.hpp>

namespace preload {

util::Result<std::vector<Listed>> list_tree(const EngineClient& client, const RepoEntry& repo,
                                            const std::string& commit) {
  std::vector<Listed> files;
  // requests and httpx spell booleans "True"/"False".
  std::optional<std::string> target = "/api/" + api_plural(repo.type) + "/" + repo.repo_id +
                                      "/tree/" + commit + "?recursive=True&expand=False";
  for (int page = 0; target && page < 10'000; ++page) {
    auto reply = client.get(*target);
    if (!reply) return tl::unexpected(reply.error());
    if (reply->status != 200) {
      return util::fail(util::Errc::upstream_status, "listing the files at " + commit + ": " +
                                                         std::to_string(reply->status) + " " +
                                                         error_text(*reply));
    }
    const auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (!json.is_array()) {
      return util::fail(util::Errc::upstream_status, "the tree listing is not a JSON array");
    }
    for (const auto& item : json) {
      if (!item.is_object() || item.value("type", "") != "file") continue;
      Listed file;
      file.path = item.value("path", "");
      if (file.path.empty()) continue;
      if (const auto size = item.find("size"); size != item.end() && size->is_number_unsigned()) {
        file.size = size->get<std::uint64_t>();
      }
      file.oid = item.value("oid", "");
      if (const auto lfs = item.find("lfs"); lfs != item.end() && lfs->is_object()) {
        file.lfs_sha256 = util::Sha256::from_hex(lfs->value("oid", ""));
        if (const auto size = lfs->find("size"); size != lfs->end() && size->is_number_unsigned()) {
          file.size = size->get<std::uint64_t>();
        }
      }
      files.push_back(std::move(file));
    }
    target.reset();
    if (auto next = next_link(reply->headers)) {
      // The engine points the Link at itself, the Hub at itself: keep the path and query.
      const auto scheme = next->find("://");
      const auto slash = scheme == std::string::npos ? 0 : next->find('/', scheme + 3);
      if (slash != std::string::npos) target = next->substr(slash);
    }
  }
  return files;
}

} // namespace preload
