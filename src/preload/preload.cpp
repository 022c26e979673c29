#include "preload/preload.hpp"

#include "hub/file_list.hpp"
#include "hub/target.hpp"
#include "preload/tree_listing.hpp"
#include "upstream/signed_url.hpp"
#include "util/percent.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <tuple>
#include <filesystem>
#include <mutex>
#include <thread>

namespace preload {

namespace {

// The header that makes the engine check a body against a sha256 before it stores it (and
// that it never forwards upstream).
constexpr const char* k_expect_header = "X-Hubcache-Expect-Sha256";

// Whether the store already holds the file at the commit, whole: an index row whose blob is
// on disk with the listed size (and, for LFS, the listed sha256). Bodies were hashed when
// they were stored; `hubcache verify` re-reads them.
bool already_stored(store::Store& store, const RepoEntry& repo, const store::CommitId& commit,
                    const Listed& file, const std::string& scope) {
  auto found = store.index().find_hub_object({repo.type, repo.repo_id, commit, file.path, scope});
  if (!found || !*found) return false;
  const auto& object = **found;
  if (object.size != file.size) return false;
  if (file.lfs_sha256 && object.blob != *file.lfs_sha256) return false;
  std::error_code ec;
  const auto on_disk = std::filesystem::file_size(store.layout().blob_path(object.blob), ec);
  return !ec && on_disk == object.size;
}

// A file that moved to a new commit unchanged is already here: the LFS blob by its
// sha256, or the blob the same git object id had at the commit recorded before. It is
// recorded at the new commit without fetching it again, under `scope`: the listing that
// names it was fetched with that credential, so the content is that credential's to read.
bool reuse_stored(store::Store& store, const RepoEntry& repo, const store::CommitId& commit,
                  const Listed& file, const std::vector<store::HubObject>& before,
                  const std::string& scope) {
  std::optional<util::Sha256> digest = file.lfs_sha256;
  auto etag = store::Etag::parse(file.lfs_sha256 ? file.lfs_sha256->hex() : file.oid);
  if (!etag) return false;
  if (!digest) {
    const auto same = std::find_if(before.begin(), before.end(), [&](const store::HubObject& o) {
      return o.key.path == file.path && o.etag == *etag;
    });
    if (same == before.end()) return false;
    digest = same->blob;
  }
  auto body = store.blobs().open(*digest);
  if (!body || !*body || (*body)->size() != file.size) return false;
  const store::HubObject object{{repo.type, repo.repo_id, commit, file.path, scope},
                                *digest,
                                std::move(*etag),
                                file.size,
                                file.lfs_sha256.has_value()};
  return store.put(**body, object).has_value();
}

std::vector<store::RepoPath> paths_of(const std::vector<Listed>& files) {
  std::vector<store::RepoPath> paths;
  for (const auto& file : files) paths.push_back(file.path);
  return paths;
}

struct Plan {
  std::vector<FileTask> tasks;
  std::uint64_t bytes = 0;

  void add(FileTask task) {
    bytes += task.size.value_or(0);
    tasks.push_back(std::move(task));
  }
};

// Fetching a Hub file: resolve by commit, so the object model learns it at that commit.
FileTask hub_file_task(std::size_t entry, store::RepoType type, const store::RepoId& repo_id,
                       const store::CommitId& commit, const store::RepoPath& path,
                       std::optional<util::Sha256> sha256, std::uint64_t size) {
  FileTask task;
  task.entry = entry;
  task.label = repo_id.str() + ": " + path.str();
  task.target = "/" + url_prefix(type) + repo_id.str() + "/resolve/" + commit.str() + "/" +
                util::percent_encode(path.str(), /*keep_slash=*/true);
  task.sha256 = sha256;
  task.size = size;
  return task;
}

void plan_repo(std::size_t index, const RepoEntry& repo, store::Store& store,
               const EngineClient& client, const std::string& scope, EntryOutcome& outcome,
               Plan& plan) {
  // What the store held for this revision before asking (asking moves the ref), for the
  // files that did not change.
  std::vector<store::HubObject> before;
  if (auto ref = store.find_ref(repo.type, repo.repo_id, repo.revision, {},
                                store::CredentialMatch::any);
      ref && *ref) {
    if (auto objects = store.index().hub_objects_at(repo.type, repo.repo_id, (*ref)->commit, {},
                                                    store::CredentialMatch::any)) {
      before = std::move(*objects);
    }
  }
  const std::string info_target = "/api/" + api_plural(repo.type) + "/" + repo.repo_id.str() +
                                  "/revision/" + util::percent_encode(repo.revision.str());
  // Where the branch is now, asked upstream (the stored answer only if that fails).
  auto info = client.get(info_target, {{"X-Hubcache-Refresh", "1"}});
  if (!info) {
    outcome.errors.push_back(info.error().message);
    return;
  }
  if (info->status != 200) {
    outcome.errors.push_back("repo info: " + std::to_string(info->status) + " " + error_text(*info));
    return;
  }
  outcome.stale = util::find_header(info->headers, "X-Hubcache").value_or("") == "stale";
  const auto json = nlohmann::json::parse(info->body, nullptr, false);
  const auto sha = json.is_object() ? json.find("sha") : json.end();
  const auto commit = sha != json.end() && sha->is_string()
                          ? store::CommitId::parse(sha->get<std::string>())
                          : std::nullopt;
  if (!commit) {
    outcome.errors.push_back("repo info names no commit");
    return;
  }
  outcome.commit = commit->str();
  auto files = list_tree(client, repo, *commit);
  if (!files) {
    outcome.errors.push_back(files.error().message);
    return;
  }
  // The complete list, so that replay answers the Hub's 404 for a path that is not there.
  if (auto r = hub::put_file_list(store, repo.type, repo.repo_id, *commit, scope, paths_of(*files)); !r) {
    outcome.errors.push_back("cannot record the file list: " + r.error().message);
    return;
  }
  for (const auto& file : *files) {
    if (!selects(repo, file.path.str())) continue;
    ++outcome.files;
    if (already_stored(store, repo, *commit, file, scope) ||
        reuse_stored(store, repo, *commit, file, before, scope)) {
      ++outcome.present;
      outcome.bytes_present += file.size;
      continue;
    }
    plan.add(hub_file_task(index, repo.type, repo.repo_id, *commit, file.path, file.lfs_sha256,
                           file.size));
  }
}

void plan_url(std::size_t index, const UrlEntry& url, EntryOutcome& outcome, Plan& plan) {
  outcome.files = 1;
  FileTask task;
  task.entry = index;
  task.label = upstream::redact_url(url.url);
  task.target = url.url;
  task.sha256 = url.sha256;
  plan.add(std::move(task));
}

// Fetches one file through the engine. The body is hashed on the way and checked against
// what the listing or manifest promised. `hit`: the engine had it already.
std::string fetch(const FileTask& task, const EngineClient& client,
                  const std::function<void(std::uint64_t)>& progress, std::uint64_t& bytes,
                  bool& hit) {
  // The engine checks a body it fetches against the expected sha256 before storing it; one
  // it already held is hashed here (it may have been stored before anyone expected this).
  util::Headers headers;
  if (task.sha256) headers.emplace_back(k_expect_header, task.sha256->hex());
  auto got = client.download(task.target, headers, progress, task.sha256.has_value());
  if (!got) return got.error().message;
  bytes = got->bytes;
  hit = util::find_header(got->headers, "X-Hubcache").value_or("") == "hit";
  if (got->status != 200) {
    Reply reply{got->status, got->headers, got->error_body, got->cause};
    return std::to_string(got->status) + " " + error_text(reply);
  }
  if (task.sha256 && got->sha256 && *got->sha256 != *task.sha256) {
    return "the store holds other bytes (sha256 " + got->sha256->hex() + ", expected " +
           task.sha256->hex() + ")";
  }
  if (task.size && got->bytes != *task.size) {
    return "got " + std::to_string(got->bytes) + " bytes, the listing says " +
           std::to_string(*task.size);
  }
  return {};
}

// Runs the planned fetches on `options.jobs` threads, counting into `outcomes`.
void execute(const Plan& plan, std::vector<EntryOutcome>& outcomes, const EngineClient& client,
             const PreloadOptions& options, Observer& observer) {
  observer.planned(plan.tasks.size(), plan.bytes);
  std::mutex mutex;  // guards outcomes and the observer
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= plan.tasks.size()) return;
      const auto& task = plan.tasks[i];
      const std::function<void(std::uint64_t)> progress = [&](std::uint64_t n) {
        std::lock_guard lock(mutex);
        observer.advanced(n);
      };
      std::uint64_t bytes = 0;
      bool hit = false;
      const std::string error = fetch(task, client, progress, bytes, hit);
      std::lock_guard lock(mutex);
      auto& outcome = outcomes[task.entry];
      if (error.empty() && hit) {
        ++outcome.present;
        outcome.bytes_present += bytes;
      } else if (error.empty()) {
        ++outcome.fetched;
        outcome.bytes_fetched += bytes;
      } else {
        outcome.errors.push_back(task.label + ": " + error);
      }
      observer.file_done(task, bytes, error);
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(plan.tasks.size())));
  std::vector<std::thread> workers;
  for (int j = 1; j < jobs; ++j) workers.emplace_back(work);
  work();
  for (auto& worker : workers) worker.join();
}

} // namespace

std::vector<EntryOutcome> run_preload(const std::vector<Entry>& entries, store::Store& store,
                                      const EngineClient& client, const PreloadOptions& options,
                                      Observer& observer) {
  std::vector<EntryOutcome> outcomes(entries.size());
  Plan plan;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    outcomes[i].name = describe(entries[i]);
    outcomes[i].source = entries[i].source;
    if (const auto* repo = std::get_if<RepoEntry>(&entries[i].what)) {
      plan_repo(i, *repo, store, client, options.scope, outcomes[i], plan);
    } else {
      plan_url(i, std::get<UrlEntry>(entries[i].what), outcomes[i], plan);
    }
    for (const auto& error : outcomes[i].errors) {
      observer.notice(outcomes[i].name + ": " + error);
    }
    if (outcomes[i].stale) {
      observer.notice(outcomes[i].name + ": the upstream did not answer; using the commit "
                      "recorded before, " + outcomes[i].commit);
    }
  }
  // huggingface_hub asks this once a day (to name the agent running it): record it too.
  if (std::any_of(entries.begin(), entries.end(),
                  [](const Entry& e) { return std::holds_alternative<RepoEntry>(e.what); })) {
    (void)client.get("/api/agent-harnesses");
  }
  execute(plan, outcomes, client, options, observer);
  return outcomes;
}

std::vector<EntryOutcome> run_locked_preload(const hub::Lockfile& lock, const std::string& lock_name,
                                             store::Store& store, const EngineClient& client,
                                             const PreloadOptions& options, Observer& observer) {
  // One outcome per (repo, commit), in the lock's order.
  std::map<std::tuple<store::RepoType, store::RepoId, store::CommitId>, std::size_t> groups;
  std::vector<EntryOutcome> outcomes;
  std::vector<RepoEntry> repos;
  std::vector<store::CommitId> commits;  // of each repos[i]
  for (const auto& file : lock.files()) {
    auto [it, added] = groups.try_emplace({file.type, file.repo_id, file.commit}, outcomes.size());
    if (!added) continue;
    EntryOutcome outcome;
    outcome.name = std::string(store::to_string(file.type)) + ":" + file.repo_id.str() + "@" +
                   file.commit.str();
    outcome.source = lock_name;
    outcome.commit = file.commit.str();
    outcomes.push_back(std::move(outcome));
    // A commit is a revision too: it names itself.
    repos.push_back(RepoEntry{file.type, file.repo_id,
                              store::Revision::parse(file.commit.str()).value(), {}, {}});
    commits.push_back(file.commit);
  }
  Plan plan;
  // The complete listing of each commit: replay then answers the Hub's 404 for files that
  // are not there, and a locked file the Hub no longer has is named now, not in CI.
  for (std::size_t i = 0; i < repos.size(); ++i) {
    auto files = list_tree(client, repos[i], commits[i]);
    if (!files) {
      outcomes[i].errors.push_back(files.error().message);
      continue;
    }
    if (auto r = hub::put_file_list(store, repos[i].type, repos[i].repo_id, commits[i],
                                    options.scope, paths_of(*files));
        !r) {
      outcomes[i].errors.push_back("cannot record the file list: " + r.error().message);
    }
  }
  for (const auto& file : lock.files()) {
    const std::size_t index = groups.at({file.type, file.repo_id, file.commit});
    auto& outcome = outcomes[index];
    ++outcome.files;
    const Listed listed{file.path, file.size, file.sha256, {}};
    if (already_stored(store, repos[index], file.commit, listed, options.scope)) {
      ++outcome.present;
      outcome.bytes_present += file.size;
      continue;
    }
    plan.add(hub_file_task(index, file.type, file.repo_id, file.commit, file.path, file.sha256,
                           file.size));
  }
  for (const auto& url : lock.urls()) {
    EntryOutcome outcome;
    outcome.name = url.url;
    outcome.source = lock_name;
    outcome.files = 1;
    FileTask task;
    task.entry = outcomes.size();
    task.label = upstream::redact_url(url.url);
    task.target = url.url;
    task.sha256 = url.sha256;
    task.size = url.size;
    plan.add(std::move(task));
    outcomes.push_back(std::move(outcome));
  }
  for (const auto& outcome : outcomes) {
    for (const auto& error : outcome.errors) observer.notice(outcome.name + ": " + error);
  }
  if (!lock.files().empty()) (void)client.get("/api/agent-harnesses");
  execute(plan, outcomes, client, options, observer);
  // The lock's word on where each branch is, whatever the Hub says today.
  for (const auto& ref : lock.refs()) {
    if (auto r = store.put(store::Ref{ref.type, ref.repo_id, ref.name, ref.commit, 0, options.scope}); !r) {
      observer.notice("cannot pin " + ref.repo_id.str() + "@" + ref.name.str() + ": " + r.error().message);
    }
  }
  return outcomes;
}

} // namespace preload
