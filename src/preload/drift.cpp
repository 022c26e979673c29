#include "preload/drift.hpp"

#include "util/percent.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace preload {

namespace {

bool is_commit(const std::string& revision) {
  return revision.size() == 40 &&
         revision.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A file as the Hub names its content: the LFS sha256, else the git blob id.
struct Version {
  std::string etag;
  std::uint64_t size = 0;
};

util::Result<std::map<std::string, Version>> upstream_files(const EngineClient& hub,
                                                            const RepoEntry& repo,
                                                            const std::string& commit) {
  std::map<std::string, Version> files;
  std::optional<std::string> target = "/api/" + api_plural(repo.type) + "/" + repo.repo_id +
                                      "/tree/" + commit + "?recursive=True&expand=False";
  for (int page = 0; target && page < 10'000; ++page) {
    auto reply = hub.get(*target);
    if (!reply) return tl::unexpected(reply.error());
    if (reply->status != 200) {
      return util::fail(util::Errc::upstream_status,
                        "tree listing: " + std::to_string(reply->status) + " " + error_text(*reply));
    }
    const auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (!json.is_array()) return util::fail(util::Errc::upstream_status, "tree listing is not JSON");
    for (const auto& item : json) {
      if (!item.is_object() || item.value("type", "") != "file") continue;
      const std::string path = item.value("path", "");
      if (path.empty() || !selects(repo, path)) continue;
      Version version{item.value("oid", ""), item.value("size", std::uint64_t{0})};
      if (const auto lfs = item.find("lfs"); lfs != item.end() && lfs->is_object()) {
        version.etag = lfs->value("oid", version.etag);
        version.size = lfs->value("size", version.size);
      }
      files[path] = version;
    }
    target.reset();
    if (auto next = next_link(reply->headers)) {
      const auto scheme = next->find("://");
      const auto slash = scheme == std::string::npos ? 0 : next->find('/', scheme + 3);
      if (slash != std::string::npos) target = next->substr(slash);
    }
  }
  return files;
}

void check_repo(const RepoEntry& repo, store::Store& store, const EngineClient& hub, Drift& out) {
  auto ref = store.find_ref(repo.type, repo.repo_id, repo.revision, {}, store::CredentialMatch::any);
  if (!ref) {
    out.error = ref.error().message;
    return;
  }
  if (*ref) out.recorded = (*ref)->commit;
  auto info = hub.get("/api/" + api_plural(repo.type) + "/" + repo.repo_id + "/revision/" +
                      util::percent_encode(repo.revision));
  if (!info) {
    out.error = info.error().message;
    return;
  }
  if (info->status != 200) {
    out.error = "repo info: " + std::to_string(info->status) + " " + error_text(*info);
    return;
  }
  const auto json = nlohmann::json::parse(info->body, nullptr, false);
  out.upstream = json.is_object() ? json.value("sha", "") : "";
  if (!is_commit(out.upstream)) {
    out.error = "repo info names no commit";
    return;
  }
  out.moved = out.recorded != out.upstream;
  if (!out.moved) return;

  std::map<std::string, Version> before;
  if (!out.recorded.empty()) {
    auto stored = store.index().hub_objects_at(repo.type, repo.repo_id, out.recorded, {},
                                               store::CredentialMatch::any);
    if (!stored) {
      out.error = stored.error().message;
      return;
    }
    for (const auto& object : *stored) {
      if (selects(repo, object.key.path)) before[object.key.path] = {object.etag, object.size};
    }
  }
  auto after = upstream_files(hub, repo, out.upstream);
  if (!after) {
    out.error = after.error().message;
    return;
  }
  for (const auto& [path, version] : *after) {
    const auto it = before.find(path);
    if (it != before.end() && it->second.etag == version.etag && it->second.size == version.size) {
      continue;
    }
    ++out.files_changed;
    out.bytes += version.size;
  }
  for (const auto& [path, _] : before) out.files_changed += after->count(path) ? 0 : 1;
}

} // namespace

std::vector<Drift> check_drift(const std::vector<Entry>& entries, store::Store& store,
                               const EngineClient& hub) {
  std::vector<Drift> out;
  for (const auto& entry : entries) {
    const auto* repo = std::get_if<RepoEntry>(&entry.what);
    if (!repo || is_commit(repo->revision)) continue;
    Drift drift;
    drift.name = describe(entry);
    drift.source = entry.source;
    check_repo(*repo, store, hub, drift);
    out.push_back(std::move(drift));
  }
  return out;
}

} // namespace preload
