#include "hub/lockfile.hpp"

#include "cache/exchange_key.hpp"
#include "hub/target.hpp"
#include "upstream/url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <tuple>

namespace hub {

namespace {

std::vector<std::string> split_tabs(std::string_view line, std::size_t max_fields) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() + 1 < max_fields) {
    const auto tab = line.find('\t', start);
    if (tab == std::string_view::npos) break;
    out.emplace_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  out.emplace_back(line.substr(start));
  return out;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(text);
}

std::string type_name(store::RepoType type) { return std::string(store::to_string(type)); }

// A URL a lock line may hold: one that parses, on one line without tabs (it ends the line).
bool is_lockable_url(std::string_view url) {
  return upstream::parse_url(url).has_value() &&
         std::none_of(url.begin(), url.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
         });
}

util::Result<void> parse_line(std::string_view line, Lockfile& lock) {
  const auto kind = line.substr(0, line.find('\t'));
  const auto bad = [&](const std::string& what) {
    return util::fail(util::Errc::invalid_argument, what);
  };
  if (kind == "ref") {
    const auto f = split_tabs(line, 5);
    if (f.size() != 5) return bad("a ref line has 5 tab-separated fields: ref TYPE REPO NAME COMMIT");
    const auto type = store::parse_repo_type(f[1]);
    if (!type) return bad("unknown repo type '" + util::printable(f[1]) + "'");
    auto repo_id = store::RepoId::from(f[2]);
    if (!repo_id) return tl::unexpected(repo_id.error());
    auto name = store::Revision::from(f[3]);
    if (!name) return tl::unexpected(name.error());
    auto commit = store::CommitId::from(f[4]);
    if (!commit) return tl::unexpected(commit.error());
    lock.add(LockedRef{*type, std::move(*repo_id), std::move(*name), std::move(*commit)});
    return {};
  }
  if (kind == "file") {
    const auto f = split_tabs(line, 7);
    if (f.size() != 7) {
      return bad("a file line has 7 tab-separated fields: file TYPE REPO COMMIT SHA256 SIZE PATH");
    }
    const auto type = store::parse_repo_type(f[1]);
    if (!type) return bad("unknown repo type '" + util::printable(f[1]) + "'");
    auto repo_id = store::RepoId::from(f[2]);
    if (!repo_id) return tl::unexpected(repo_id.error());
    auto commit = store::CommitId::from(f[3]);
    if (!commit) return tl::unexpected(commit.error());
    const auto digest = util::Sha256::from_hex(f[4]);
    if (!digest) return bad("'" + util::printable(f[4]) + "' is not a sha256 (64 hex digits)");
    const auto size = parse_size(f[5]);
    if (!size) return bad("'" + util::printable(f[5]) + "' is not a size in bytes");
    auto path = store::RepoPath::from(f[6]);
    if (!path) return tl::unexpected(path.error());
    lock.add(LockedFile{*type, std::move(*repo_id), std::move(*commit), std::move(*path), *digest, *size});
    return {};
  }
  if (kind == "url") {
    const auto f = split_tabs(line, 4);
    if (f.size() != 4) return bad("a url line has 4 tab-separated fields: url SHA256 SIZE URL");
    const auto digest = util::Sha256::from_hex(f[1]);
    if (!digest) return bad("'" + util::printable(f[1]) + "' is not a sha256 (64 hex digits)");
    const auto size = parse_size(f[2]);
    if (!size) return bad("'" + util::printable(f[2]) + "' is not a size in bytes");
    if (!is_lockable_url(f[3])) return bad("'" + util::printable(f[3]) + "' is not an http(s) URL");
    lock.add(LockedUrl{f[3], *digest, *size});
    return {};
  }
  return bad("unknown line kind '" + util::printable(kind) + "' (ref, file or url)");
}

// The exchange key a recorded GET of `url` has, without a credential.
std::optional<std::string> get_key(const std::string& url) {
  const auto parsed = upstream::parse_url(url);
  if (!parsed) return std::nullopt;
  return cache::exchange_key("GET", *parsed);
}

} // namespace

void Lockfile::add(LockedRef ref) {
  RepoKey key{ref.type, ref.repo_id, ref.name};
  if (auto it = m_ref_index.find(key); it != m_ref_index.end()) {
    m_refs[it->second] = std::move(ref);
    return;
  }
  m_ref_index.emplace(std::move(key), m_refs.size());
  m_refs.push_back(std::move(ref));
}

void Lockfile::add(LockedFile file) {
  FileKey key{file.type, file.repo_id, file.commit, file.path};
  if (auto it = m_file_index.find(key); it != m_file_index.end()) {
    m_files[it->second] = std::move(file);
    return;
  }
  m_file_index.emplace(std::move(key), m_files.size());
  m_files.push_back(std::move(file));
}

void Lockfile::add(LockedUrl url) {
  if (auto it = m_url_index.find(url.url); it != m_url_index.end()) {
    m_urls[it->second] = std::move(url);
    return;
  }
  m_url_index.emplace(url.url, m_urls.size());
  m_urls.push_back(std::move(url));
}

std::string Lockfile::render() const {
  // Refs, then files, then URLs; each sorted by what a reviewer reads: repo, commit, path.
  std::vector<std::string> refs, files, urls;
  for (const auto& r : m_refs) {
    refs.push_back(type_name(r.type) + "\t" + r.repo_id.str() + "\t" + r.name.str() + "\t" +
                   r.commit.str());
  }
  std::vector<const LockedFile*> sorted_files;
  for (const auto& f : m_files) sorted_files.push_back(&f);
  std::sort(sorted_files.begin(), sorted_files.end(), [](const LockedFile* a, const LockedFile* b) {
    return std::make_tuple(type_name(a->type), std::cref(a->repo_id), std::cref(a->commit),
                           std::cref(a->path)) <
           std::make_tuple(type_name(b->type), std::cref(b->repo_id), std::cref(b->commit),
                           std::cref(b->path));
  });
  for (const auto* f : sorted_files) {
    files.push_back(type_name(f->type) + "\t" + f->repo_id.str() + "\t" + f->commit.str() + "\t" +
                    f->sha256.hex() + "\t" + std::to_string(f->size) + "\t" + f->path.str());
  }
  std::vector<const LockedUrl*> sorted_urls;
  for (const auto& u : m_urls) sorted_urls.push_back(&u);
  std::sort(sorted_urls.begin(), sorted_urls.end(),
            [](const LockedUrl* a, const LockedUrl* b) { return a->url < b->url; });
  for (const auto* u : sorted_urls) {
    urls.push_back(u->sha256.hex() + "\t" + std::to_string(u->size) + "\t" + u->url);
  }
  std::sort(refs.begin(), refs.end());
  std::string out =
      "# hubcache.lock: what this cache holds, pinned by content. Written by `hubcache lock`;\n"
      "# `hubcache preload --lock` fetches exactly this, `--mode replay --lock` serves only it.\n"
      "# ref TYPE REPO NAME COMMIT | file TYPE REPO COMMIT SHA256 SIZE PATH | url SHA256 SIZE URL\n";
  for (const auto& line : refs) out += "ref\t" + line + "\n";
  for (const auto& line : files) out += "file\t" + line + "\n";
  for (const auto& line : urls) out += "url\t" + line + "\n";
  return out;
}

std::optional<store::CommitId> Lockfile::commit_of(store::RepoType type, const store::RepoId& repo_id,
                                                   const store::Revision& name) const {
  const auto it = m_ref_index.find({type, repo_id, name});
  if (it == m_ref_index.end()) return std::nullopt;
  return m_refs[it->second].commit;
}

const LockedFile* Lockfile::file(store::RepoType type, const store::RepoId& repo_id,
                                 const store::CommitId& commit, const store::RepoPath& path) const {
  const auto it = m_file_index.find({type, repo_id, commit, path});
  return it == m_file_index.end() ? nullptr : &m_files[it->second];
}

const LockedUrl* Lockfile::url(const std::string& url) const {
  const auto it = m_url_index.find(url);
  return it == m_url_index.end() ? nullptr : &m_urls[it->second];
}

util::Result<Lockfile> parse_lockfile(std::string_view text, const std::string& file) {
  Lockfile lock;
  std::string errors;
  int number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    auto line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    // A lock is text for review, and a field ending in '\r' would not read back as itself
    // once rendered (issue 14): no control character but the tabs between fields.
    const bool control = std::any_of(line.begin(), line.end(), [](char c) {
      return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
    });
    if (auto r = control ? util::fail(util::Errc::invalid_argument,
                                      "a control character in a field (only tabs separate them)")
                         : parse_line(line, lock);
        !r) {
      if (!errors.empty()) errors += '\n';
      errors += file + ":" + std::to_string(number) + ": " + r.error().message;
    }
  }
  if (!errors.empty()) return util::fail(util::Errc::invalid_argument, errors);
  return lock;
}

util::Result<Lockfile> lock_store(store::Store& store) {
  Lockfile lock;
  auto& index = store.index();
  // One row per name; the anonymous one where several credential scopes hold it.
  std::map<std::tuple<store::RepoType, store::RepoId, store::Revision>, store::Ref> refs;
  if (auto r = index.for_each_ref([&](const store::Ref& ref) {
        auto [it, inserted] = refs.try_emplace({ref.repo_type, ref.repo_id, ref.name}, ref);
        if (!inserted && ref.credential.empty()) it->second = ref;
      });
      !r) {
    return tl::unexpected(r.error());
  }
  for (const auto& [_, ref] : refs) lock.add(LockedRef{ref.repo_type, ref.repo_id, ref.name, ref.commit});
  if (auto r = index.for_each_hub_object([&](const store::HubObject& o) {
        lock.add(LockedFile{o.key.repo_type, o.key.repo_id, o.key.commit, o.key.path, o.blob, o.size});
      });
      !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = index.for_each_exchange([&](const store::Exchange& e) {
        if (e.key.rfind("hub-", 0) == 0 || e.method != "GET" || !e.blob) return;
        if (e.status < 200 || e.status >= 300 || !is_lockable_url(e.url)) return;
        lock.add(LockedUrl{e.url, *e.blob, e.body_size});
      });
      !r) {
    return tl::unexpected(r.error());
  }
  return lock;
}

util::Result<Lockfile> lock_report(store::Store& store, const std::string& report_json) {
  const auto report = nlohmann::json::parse(report_json, nullptr, false);
  if (!report.is_object() || !report.contains("served") || !report["served"].is_array()) {
    return util::fail(util::Errc::invalid_argument,
                      "not a `hubcache run --report` file (no \"served\" list)");
  }
  const auto hub_origin = upstream::parse_url(report.value("upstream", ""));
  Lockfile lock;
  std::vector<std::string> unaccounted;
  for (const auto& served : report["served"]) {
    const std::string method = served.value("method", "");
    const std::string url = served.value("url", "");
    const int status = served.value("status", 0);
    if ((method != "GET" && method != "HEAD") || status < 200 || status >= 300) continue;
    const auto parsed = upstream::parse_url(url);
    if (!parsed) continue;
    if (hub_origin && parsed->origin() == hub_origin->origin()) {
      const auto parsed_target =
          parse_target(parsed->path + (parsed->query.empty() ? "" : "?" + parsed->query));
      if (!parsed_target) {
        unaccounted.push_back(url);
        continue;
      }
      const auto& target = *parsed_target;
      if (target && target->route != Route::resolve) continue;  // listings: made from the lock
      if (target) {
        const FileTarget file = target->file();
        std::optional<store::CommitId> commit = as_commit(file.revision);
        if (!commit) {
          auto ref = store.find_ref(file.type, file.repo_id, file.revision, {},
                                    store::CredentialMatch::any);
          if (!ref) return tl::unexpected(ref.error());
          if (!*ref) {
            unaccounted.push_back(url);
            continue;
          }
          commit = (*ref)->commit;
          lock.add(LockedRef{file.type, file.repo_id, file.revision, *commit});
        }
        auto object = store.index().find_hub_object({file.type, file.repo_id, *commit, file.path, {}},
                                                    store::CredentialMatch::any);
        if (!object) return tl::unexpected(object.error());
        if (!*object) {
          unaccounted.push_back(url);
          continue;
        }
        lock.add(LockedFile{file.type, file.repo_id, *commit, file.path, (*object)->blob,
                            (*object)->size});
        continue;
      }
    }
    const auto key = get_key(url);
    auto exchange = key ? store.index().find_exchange(*key)
                        : util::Result<std::optional<store::Exchange>>(std::nullopt);
    if (!exchange) return tl::unexpected(exchange.error());
    if (!*exchange || !(*exchange)->blob) {
      unaccounted.push_back(url);
      continue;
    }
    lock.add(LockedUrl{(*exchange)->url, *(*exchange)->blob, (*exchange)->body_size});
  }
  if (!unaccounted.empty()) {
    return util::fail(util::Errc::invalid_argument,
                      "the store does not hold " + std::to_string(unaccounted.size()) +
                          " of the report's requests (is it the store the run used?), first: " +
                          unaccounted.front());
  }
  return lock;
}

} // namespace hub
