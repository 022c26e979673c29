#include "hub/commit_listing.hpp"

#include "hub/file_list.hpp"
#include "util/file.hpp"
#include "util/json_text.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace hub {

namespace {

using nlohmann::json;

// huggingface_hub's VERY_LARGE_REPO_THRESHOLD: past it, siblings may not name every file.
constexpr std::size_t k_max_trusted_siblings = 50'000;
// Deeper JSON is no listing (the parser and destructor recurse).
constexpr int k_max_listing_depth = 16;
// Listings are small; a record bigger than this is not one.
constexpr std::uint64_t k_max_record_bytes = 64ull << 20;

std::optional<json> parse_json(std::string_view text) {
  if (util::json_nesting(text) > k_max_listing_depth) return std::nullopt;
  auto value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

std::string text_of(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::optional<std::uint64_t> number_of(const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number_unsigned()) return std::nullopt;
  return found->get<std::uint64_t>();
}

// A file's details from a tree entry ({size, oid, lfs: {oid, size}, lastCommit}) or a sibling
// under blobs=true ({size, blobId, lfs: {sha256, size}}); std::nullopt when it lacks one.
std::optional<FileDetails> details_of(const json& entry, const char* oid_key,
                                      const char* lfs_sha_key) {
  auto size = number_of(entry, "size");
  auto oid = store::Etag::parse(text_of(entry, oid_key));
  if (!size || !oid) return std::nullopt;
  FileDetails details{*size, std::move(*oid), std::nullopt, {}};
  if (const auto lfs = entry.find("lfs"); lfs != entry.end() && !lfs->is_null()) {
    if (!lfs->is_object()) return std::nullopt;
    details.lfs_sha256 = store::Etag::parse(text_of(*lfs, lfs_sha_key));
    if (!details.lfs_sha256) return std::nullopt;
    if (const auto lfs_size = number_of(*lfs, "size")) details.size = *lfs_size;
  }
  if (const auto last = entry.find("lastCommit"); last != entry.end() && last->is_object()) {
    details.last_commit = util::to_json_text(*last);
  }
  return details;
}

// Path order, one entry a path: the first naming wins, and one with details beats one without.
void normalize(CommitListing& listing) {
  std::stable_sort(listing.files.begin(), listing.files.end(),
                   [](const ListedFile& a, const ListedFile& b) {
                     if (a.path != b.path) return a.path < b.path;
                     return a.details.has_value() && !b.details.has_value();
                   });
  listing.files.erase(std::unique(listing.files.begin(), listing.files.end(),
                                  [](const ListedFile& a, const ListedFile& b) {
                                    return a.path == b.path;
                                  }),
                      listing.files.end());
}

} // namespace

std::string commit_listing_key(store::RepoType type, const store::RepoId& repo_id,
                               const store::CommitId& commit, const std::string& scope) {
  return "hub-listing " + std::string(store::to_string(type)) + " " + repo_id.str() + " " +
         commit.str() + (scope.empty() ? "" : " credential=" + scope);
}

std::string listing_json(const CommitListing& listing) {
  json out = json::array();
  for (const auto& [path, oid] : listing.directory_oids) {
    out.push_back({{"type", "directory"}, {"oid", oid.str()}, {"size", 0}, {"path", path}});
  }
  for (const auto& file : listing.files) {
    json entry = {{"type", "file"}, {"path", file.path.str()}};
    if (file.details) {
      const auto& d = *file.details;
      entry["oid"] = d.oid.str();
      entry["size"] = d.size;
      if (d.lfs_sha256) entry["lfs"] = {{"oid", d.lfs_sha256->str()}, {"size", d.size}};
      if (!d.last_commit.empty()) {
        auto last = json::parse(d.last_commit, nullptr, false);
        if (last.is_object()) entry["lastCommit"] = std::move(last);
      }
    }
    out.push_back(std::move(entry));
  }
  return util::to_json_text(out);
}

util::Result<void> put_commit_listing(store::Store& store, store::RepoType type,
                                      const store::RepoId& repo_id, const store::CommitId& commit,
                                      const std::string& scope, const CommitListing& listing) {
  return put_record(store, commit_listing_key(type, repo_id, commit, scope), listing_json(listing),
                    "application/json; charset=utf-8");
}

util::Result<std::optional<CommitListing>> find_commit_listing(store::Store& store,
                                                               store::RepoType type,
                                                               const store::RepoId& repo_id,
                                                               const store::CommitId& commit,
                                                               const std::string& scope) {
  auto found = store.open_exchange(commit_listing_key(type, repo_id, commit, scope));
  if (!found) return tl::unexpected(found.error());
  if (*found && (*found)->body) {
    const auto& body = *(*found)->body;
    if (body.size() > k_max_record_bytes) {
      return util::fail(util::Errc::corrupt, "a commit's file list is too big to be one");
    }
    auto text = util::read_text_at(body.fd(), body.size());
    if (!text) return tl::unexpected(text.error());
    auto listing = listing_of_tree_pages({*text});
    if (!listing) return util::fail(util::Errc::corrupt, "a commit's file list does not parse");
    return std::optional<CommitListing>(std::move(*listing));
  }
  // A store from before the record: preload's list names every path, without details.
  auto paths = file_list(store, type, repo_id, commit, scope);
  if (!paths) return tl::unexpected(paths.error());
  if (!*paths) return std::optional<CommitListing>();
  CommitListing listing;
  for (auto& path : **paths) listing.files.push_back({std::move(path), std::nullopt});
  normalize(listing);
  return std::optional<CommitListing>(std::move(listing));
}

void add_details(CommitListing& listing, const std::vector<store::HubObject>& held) {
  const auto from_held = listing_of(held);  // path order, as the listing is
  auto next = from_held.files.begin();
  for (auto& file : listing.files) {
    while (next != from_held.files.end() && next->path < file.path) ++next;
    if (next == from_held.files.end()) break;
    if (!file.details && next->path == file.path) file.details = next->details;
  }
}

std::optional<CommitListing> listing_of_tree_pages(const std::vector<std::string>& pages) {
  CommitListing listing;
  for (const auto& page : pages) {
    const auto entries = parse_json(page);
    if (!entries || !entries->is_array()) return std::nullopt;
    for (const auto& entry : *entries) {
      if (!entry.is_object()) return std::nullopt;
      const std::string type = text_of(entry, "type");
      if (type != "file" && type != "directory") continue;
      auto path = store::RepoPath::parse(text_of(entry, "path"));
      if (!path) return std::nullopt;
      if (type == "directory") {
        if (auto oid = store::Etag::parse(text_of(entry, "oid"))) {
          listing.directory_oids.insert_or_assign(path->str(), std::move(*oid));
        }
        continue;
      }
      listing.files.push_back({std::move(*path), details_of(entry, "oid", "oid")});
    }
  }
  normalize(listing);
  return listing;
}

std::optional<RepoInfoListing> listing_of_repo_info(std::string_view body) {
  const auto info = parse_json(body);
  if (!info || !info->is_object()) return std::nullopt;
  auto commit = store::CommitId::parse(text_of(*info, "sha"));
  const auto siblings = info->find("siblings");
  if (!commit || siblings == info->end() || !siblings->is_array() || siblings->empty() ||
      siblings->size() > k_max_trusted_siblings) {
    return std::nullopt;
  }
  RepoInfoListing out{std::move(*commit), {}};
  for (const auto& sibling : *siblings) {
    if (!sibling.is_object()) return std::nullopt;
    auto path = store::RepoPath::parse(text_of(sibling, "rfilename"));
    if (!path) return std::nullopt;
    out.listing.files.push_back({std::move(*path), details_of(sibling, "blobId", "sha256")});
  }
  normalize(out.listing);
  return out;
}

std::string first_page_query(std::string_view query) {
  std::string out;
  for (std::size_t start = 0; start <= query.size();) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const auto pair = query.substr(start, end - start);
    if (!pair.empty() && pair.substr(0, pair.find('=')) != "cursor") {
      out += (out.empty() ? "" : "&") + std::string(pair);
    }
    start = end + 1;
  }
  return out;
}


} // namespace hub
