// Preload manifests: the curated list of what a cache must hold, one entry a line.
//
//   # comments, blank lines
//   [model:|dataset:|space:]org/name[@revision] [include=GLOB,…] [exclude=GLOB,…]
//   https://host/path [sha256=HEX]
//
// The whole manifest is parsed before anything is fetched, so every bad line is reported
// (with its file and line number) and nothing happens.
#pragma once

#include "store/entry.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace preload {

struct RepoEntry {
  store::RepoType type = store::RepoType::model;
  store::RepoId repo_id;   // "org/name" or a legacy "gpt2"
  store::Revision revision; // branch, tag or commit ("main" when the line names none)
  std::vector<std::string> include;  // fnmatch globs on the path; empty: every file
  std::vector<std::string> exclude;
};

struct UrlEntry {
  std::string url;  // http:// or https://
  std::optional<util::Sha256> sha256;
};

struct Entry {
  std::string source;  // "FILE:LINE", for messages
  std::variant<RepoEntry, UrlEntry> what;
};

// Parses one manifest's text. On failure the error's message holds one line per bad line,
// "FILE:LINE: what is wrong", and no entry is returned.
util::Result<std::vector<Entry>> parse_manifest(std::string_view text, const std::string& file);

// "model:org/name@rev" or the URL (its secret parameters removed, upstream::redact_url): how
// an entry is named in progress lines and reports.
std::string describe(const Entry& entry);

// Whether `path` is selected by the entry's globs (huggingface_hub's allow/ignore patterns:
// fnmatch where '*' also matches '/', and a pattern ending in '/' means everything under it).
bool selects(const RepoEntry& entry, const std::string& path);

// "models", "datasets", "spaces": the API's plural, and the URL prefix of a repo
// ("" for models, "datasets/", "spaces/").
std::string api_plural(store::RepoType type);
std::string url_prefix(store::RepoType type);

} // namespace preload
