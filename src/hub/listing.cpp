#include "hub/listing.hpp"

#include "util/headers.hpp"
#include "util/json_text.hpp"
#include "util/percent.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace hub {

namespace {

using nlohmann::json;

std::string git_blob_oid(std::string_view content) {
  std::string object = "blob " + std::to_string(content.size());
  object.push_back('\0');
  object.append(content);
  return util::sha1_hex(object);
}

// Null when the file has no details: the caller then answers nothing.
std::optional<json> file_entry(const ListedFile& file, bool expand, const store::CommitId& commit) {
  if (!file.details) return std::nullopt;
  const auto& d = *file.details;
  json entry = {{"type", "file"}, {"oid", d.oid.str()}, {"size", d.size}, {"path", file.path.str()}};
  if (d.lfs_sha256) {
    entry["lfs"] = {{"oid", d.lfs_sha256->str()},
                    {"size", d.size},
                    {"pointerSize", lfs_pointer(d.lfs_sha256->str(), d.size).size()}};
  }
  if (expand) {
    auto recorded = d.last_commit.empty() ? json() : json::parse(d.last_commit, nullptr, false);
    entry["lastCommit"] = recorded.is_object()
                              ? recorded
                              : json{{"id", commit.str()}, {"title", "recorded by hubcache"},
                                     {"date", "1970-01-01T00:00:00.000Z"}};
  }
  return entry;
}

json directory_entry(const std::string& path, const CommitListing& listing) {
  const auto recorded = listing.directory_oids.find(path);
  const std::string oid =
      recorded != listing.directory_oids.end() ? recorded->second.str() : util::sha1_hex(path);
  return {{"type", "directory"}, {"oid", oid}, {"size", 0}, {"path", path}};
}

std::string query_value(std::string_view query, std::string_view name) {
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const auto pair = query.substr(start, end - start);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? "" : util::form_decode(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return "";
}

} // namespace

std::string lfs_pointer(const std::string& sha256, std::uint64_t size) {
  return "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " +
         std::to_string(size) + "\n";
}

bool query_flag(std::string_view query, std::string_view name) {
  auto value = query_value(query, name);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value == "true" || value == "1";
}

CommitListing listing_of(const std::vector<store::HubObject>& files) {
  CommitListing listing;
  for (const auto& file : files) {
    FileDetails details{file.size, file.etag, std::nullopt, {}};
    if (file.lfs) {
      // The Hub's oid of an LFS file is that of the pointer git holds in its place.
      details.lfs_sha256 = file.etag;
      if (auto oid = store::Etag::parse(git_blob_oid(lfs_pointer(file.etag.str(), file.size)))) {
        details.oid = std::move(*oid);
      }
    }
    listing.files.push_back({file.key.path, std::move(details)});
  }
  std::sort(listing.files.begin(), listing.files.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
  return listing;
}

std::optional<std::string> repo_info_json(store::RepoType type, const store::RepoId& repo_id,
                                          const store::CommitId& commit,
                                          const CommitListing& listing, std::string_view query) {
  const bool blobs = query_flag(query, "blobs");
  json siblings = json::array();
  for (const auto& file : listing.files) {
    json sibling = {{"rfilename", file.path.str()}};
    if (blobs) {
      if (!file.details) return std::nullopt;
      const auto& d = *file.details;
      sibling["size"] = d.size;
      sibling["blobId"] = d.oid.str();
      if (d.lfs_sha256) {
        sibling["lfs"] = {{"sha256", d.lfs_sha256->str()}, {"size", d.size},
                          {"pointerSize", lfs_pointer(d.lfs_sha256->str(), d.size).size()}};
      }
    }
    siblings.push_back(std::move(sibling));
  }
  json info = {{"_id", util::sha1_hex(repo_id.str()).substr(0, 24)},
               {"id", repo_id.str()},
               {"sha", commit.str()},
               {"private", false},
               {"gated", false},
               {"disabled", false},
               {"lastModified", "1970-01-01T00:00:00.000Z"},
               {"tags", json::array()},
               {"siblings", std::move(siblings)}};
  if (type == store::RepoType::model) info["modelId"] = repo_id.str();
  return util::to_json_text(info);
}

std::optional<std::string> tree_json(const std::string& folder, const CommitListing& listing,
                                     bool recursive, bool expand, const store::CommitId& commit) {
  std::string prefix = folder;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) prefix += '/';
  std::vector<std::pair<std::string, json>> entries;
  std::set<std::string> directories;
  for (const auto& file : listing.files) {
    if (file.path.str().rfind(prefix, 0) != 0) continue;
    const std::string rest = file.path.str().substr(prefix.size());
    std::size_t slash = rest.find('/');
    while (slash != std::string::npos) {
      const std::string directory = prefix + rest.substr(0, slash);
      if (directories.insert(directory).second) {
        entries.emplace_back(directory, directory_entry(directory, listing));
      }
      if (!recursive) break;
      slash = rest.find('/', slash + 1);
    }
    if (recursive || rest.find('/') == std::string::npos) {
      auto entry = file_entry(file, expand, commit);
      if (!entry) return std::nullopt;
      entries.emplace_back(file.path.str(), std::move(*entry));
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  json out = json::array();
  for (auto& [path, entry] : entries) out.push_back(std::move(entry));
  return util::to_json_text(out);
}
std::optional<PathsInfoQuery> parse_paths_info(std::string_view body, std::string_view content_type) {
  PathsInfoQuery query;
  if (content_type.find("json") != std::string_view::npos) {
    const auto value = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!value.is_object() || !value.contains("paths") || !value["paths"].is_array()) {
      return std::nullopt;
    }
    for (const auto& path : value["paths"]) {
      if (!path.is_string()) return std::nullopt;
      query.paths.push_back(path.get<std::string>());
    }
    if (value.contains("expand") && value["expand"].is_boolean()) {
      query.expand = value["expand"].get<bool>();
    }
  } else {
    std::size_t start = 0;
    while (start <= body.size()) {
      auto end = body.find('&', start);
      if (end == std::string_view::npos) end = body.size();
      const auto pair = body.substr(start, end - start);
      const auto eq = pair.find('=');
      const auto name = pair.substr(0, eq);
      const auto value = eq == std::string_view::npos ? "" : util::form_decode(pair.substr(eq + 1));
      if (name == "paths") query.paths.push_back(value);
      if (name == "expand") query.expand = util::iequals(value, "true") || value == "1";
      start = end + 1;
    }
  }
  std::sort(query.paths.begin(), query.paths.end());
  query.paths.erase(std::unique(query.paths.begin(), query.paths.end()), query.paths.end());
  return query;
}

std::optional<std::string> paths_info_json(const PathsInfoQuery& query,
                                           const CommitListing& listing,
                                           const store::CommitId& commit) {
  const auto& files = listing.files;
  json out = json::array();
  for (const auto& path : query.paths) {
    const auto file = std::find_if(files.begin(), files.end(),
                                   [&](const auto& f) { return f.path.str() == path; });
    if (file != files.end()) {
      auto entry = file_entry(*file, query.expand, commit);
      if (!entry) return std::nullopt;
      out.push_back(std::move(*entry));
      continue;
    }
    const std::string prefix = path + "/";
    if (std::any_of(files.begin(), files.end(),
                    [&](const auto& f) { return f.path.str().rfind(prefix, 0) == 0; })) {
      out.push_back(directory_entry(path, listing));
    }
  }
  return util::to_json_text(out);
}

std::string repo_info_sha(std::string_view json) {
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return "";
  const auto sha = parsed.find("sha");
  return sha != parsed.end() && sha->is_string() ? sha->get<std::string>() : "";
}

} // namespace hub
