#include "preload/drift.hpp"

#include "hub/target.hpp"
#include "preload/tree_listing.hpp"
#include "util/percent.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace preload {

namespace {

// A file as the Hub names its content: the LFS sha256, else the git blob id.
struct Version {
  std::string etag;
  std::uint64_t size = 0;
};

class StoreRecorded final : public Recorded {
public:
  explicit StoreRecorded(store::Store& store) : m_store(store) {}
  util::Result<std::optional<store::CommitId>> commit(const RepoEntry& repo) override {
    auto ref = m_store.find_ref(repo.type, repo.repo_id, repo.revision, {}, store::CredentialMatch::any);
    if (!ref) return tl::unexpected(ref.error());
    if (!*ref) return std::nullopt;
    return (*ref)->commit;
  }
  util::Result<std::vector<store::HubObject>> files(const RepoEntry& repo,
                                                    const store::CommitId& commit) override {
    return m_store.index().hub_objects_at(repo.type, repo.repo_id, commit, {}, store::CredentialMatch::any);
  }

private:
  store::Store& m_store;
};

void check_repo(const RepoEntry& repo, Recorded& recorded, const EngineClient& hub, Drift& out) {
  auto ref = recorded.commit(repo);
  if (!ref) {
    out.error = ref.error().message;
    return;
  }
  if (*ref) out.recorded = (*ref)->str();
  auto info = hub.get("/api/" + api_plural(repo.type) + "/" + repo.repo_id.str() + "/revision/" +
                      util::percent_encode(repo.revision.str()));
  if (!info) {
    out.error = info.error().message;
    return;
  }
  if (info->status != 200) {
    out.error = "repo info: " + std::to_string(info->status) + " " + error_text(*info);
    return;
  }
  const auto json = nlohmann::json::parse(info->body, nullptr, false);
  const auto sha = json.is_object() ? json.find("sha") : json.end();
  const auto upstream = sha != json.end() && sha->is_string()
                            ? store::CommitId::parse(sha->get<std::string>())
                            : std::nullopt;
  if (!upstream) {
    out.error = "repo info names no commit";
    return;
  }
  out.upstream = upstream->str();
  out.moved = out.recorded != out.upstream;
  if (!out.moved) return;

  std::map<store::RepoPath, Version> before;
  if (*ref) {
    auto stored = recorded.files(repo, **ref);
    if (!stored) {
      out.error = stored.error().message;
      return;
    }
    for (const auto& object : *stored) {
      if (selects(repo, object.key.path.str())) {
        before.insert_or_assign(object.key.path, Version{object.etag.str(), object.size});
      }
    }
  }
  auto listed = list_tree(hub, repo, *upstream);
  if (!listed) {
    out.error = listed.error().message;
    return;
  }
  std::map<store::RepoPath, Version> after;
  for (const auto& file : *listed) {
    if (!selects(repo, file.path.str())) continue;
    after.insert_or_assign(file.path, Version{file.lfs_sha256 ? file.lfs_sha256->hex() : file.oid, file.size});
  }
  for (const auto& [path, version] : after) {
    const auto it = before.find(path);
    if (it != before.end() && it->second.etag == version.etag && it->second.size == version.size) {
      continue;
    }
    ++out.files_changed;
    out.bytes += version.size;
  }
  for (const auto& [path, _] : before) out.files_changed += after.count(path) ? 0 : 1;
}

} // namespace

std::vector<Drift> check_drift(const std::vector<Entry>& entries, store::Store& store,
                               const EngineClient& hub) {
  StoreRecorded recorded(store);
  return check_drift(entries, recorded, hub);
}

std::vector<Drift> check_drift(const std::vector<Entry>& entries, Recorded& recorded,
                               const EngineClient& hub) {
  std::vector<Drift> out;
  for (const auto& entry : entries) {
    const auto* repo = std::get_if<RepoEntry>(&entry.what);
    if (!repo || hub::as_commit(repo->revision)) continue;
    Drift drift;
    drift.name = describe(entry);
    drift.source = entry.source;
    check_repo(*repo, recorded, hub, drift);
    out.push_back(std::move(drift));
  }
  return out;
}

} // namespace preload
