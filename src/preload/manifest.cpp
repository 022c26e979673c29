#include "preload/manifest.hpp"

#include "upstream/signed_url.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace preload {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The line's tokens, up to a '#' that starts a token (a '#' inside a URL stays).
std::vector<std::string> tokens_of(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i >= line.size() || line[i] == '#') break;
    const std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

std::vector<std::string> split_globs(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = std::min(list.find(',', start), list.size());
    if (comma > start) out.emplace_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

util::Result<Entry> parse_url_entry(const std::vector<std::string>& tokens) {
  UrlEntry entry;
  entry.url = tokens[0];
  const auto scheme_end = entry.url.find("://");
  if (scheme_end == std::string::npos || scheme_end + 3 >= entry.url.size()) {
    return util::fail(util::Errc::invalid_argument, "'" + entry.url + "' is not a URL");
  }
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const auto& token = tokens[i];
    if (token.rfind("sha256=", 0) != 0) {
      return util::fail(util::Errc::invalid_argument,
                        "unknown option '" + token + "' for a URL (only sha256=HEX)");
    }
    if (entry.sha256) return util::fail(util::Errc::invalid_argument, "sha256= given twice");
    auto hex = token.substr(7);
    std::transform(hex.begin(), hex.end(), hex.begin(), ::tolower);
    entry.sha256 = util::Sha256::from_hex(hex);
    if (!entry.sha256) {
      return util::fail(util::Errc::invalid_argument,
                        "sha256= needs 64 hex digits, got '" + token.substr(7) + "'");
    }
  }
  return Entry{{}, std::move(entry)};
}

util::Result<Entry> parse_repo_entry(const std::vector<std::string>& tokens) {
  std::string_view spec = tokens[0];
  store::RepoType repo_type = store::RepoType::model;
  if (const auto colon = spec.find(':'); colon != std::string_view::npos) {
    const auto kind = spec.substr(0, colon);
    const auto type = store::parse_repo_type(kind);
    if (!type) {
      return util::fail(util::Errc::invalid_argument,
                        "unknown repo type '" + std::string(kind) +
                            "' (model:, dataset: or space:; URLs start with https://)");
    }
    repo_type = *type;
    spec.remove_prefix(colon + 1);
  }
  std::string_view revision_text = "main";
  if (const auto at = spec.find('@'); at != std::string_view::npos) {
    revision_text = spec.substr(at + 1);
    spec = spec.substr(0, at);
    if (revision_text.empty()) {
      return util::fail(util::Errc::invalid_argument, "empty revision after '@'");
    }
  }
  auto repo_id = store::RepoId::from(spec);
  if (!repo_id) return tl::unexpected(repo_id.error());
  auto revision = store::Revision::from(revision_text);
  if (!revision) return tl::unexpected(revision.error());
  RepoEntry entry{repo_type, std::move(*repo_id), std::move(*revision), {}, {}};
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const auto& token = tokens[i];
    std::vector<std::string>* globs = nullptr;
    std::string_view list;
    if (token.rfind("include=", 0) == 0) {
      globs = &entry.include;
      list = std::string_view(token).substr(8);
    } else if (token.rfind("exclude=", 0) == 0) {
      globs = &entry.exclude;
      list = std::string_view(token).substr(8);
    } else {
      return util::fail(util::Errc::invalid_argument,
                        "unknown option '" + token + "' (include=GLOB,… or exclude=GLOB,…)");
    }
    auto parsed = split_globs(list);
    if (parsed.empty()) {
      return util::fail(util::Errc::invalid_argument, "'" + token + "' names no pattern");
    }
    globs->insert(globs->end(), parsed.begin(), parsed.end());
  }
  return Entry{{}, std::move(entry)};
}

bool matches_any(const std::vector<std::string>& globs, const std::string& path) {
  return std::any_of(globs.begin(), globs.end(), [&](std::string glob) {
    if (!glob.empty() && glob.back() == '/') glob += '*';
    return ::fnmatch(glob.c_str(), path.c_str(), 0) == 0;
  });
}

} // namespace

util::Result<std::vector<Entry>> parse_manifest(std::string_view text, const std::string& file) {
  std::vector<Entry> entries;
  std::string errors;
  int line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    const auto line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    const auto tokens = tokens_of(line);
    if (tokens.empty()) continue;
    const bool is_url = tokens[0].find("://") != std::string::npos;
    auto entry = is_url ? parse_url_entry(tokens) : parse_repo_entry(tokens);
    const std::string where = file + ":" + std::to_string(line_number);
    if (!entry) {
      if (!errors.empty()) errors += '\n';
      errors += where + ": " + entry.error().message;
      continue;
    }
    if (is_url) {
      const auto& url = std::get<UrlEntry>(entry->what).url;
      if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        if (!errors.empty()) errors += '\n';
        errors += where + ": '" + url + "' is not an http:// or https:// URL";
        continue;
      }
    }
    entry->source = where;
    entries.push_back(std::move(*entry));
  }
  if (!errors.empty()) return util::fail(util::Errc::invalid_argument, errors);
  return entries;
}

std::string describe(const Entry& entry) {
  // Names go to the terminal and the JSON output: a URL's signature never does (security.md).
  if (const auto* url = std::get_if<UrlEntry>(&entry.what)) return upstream::redact_url(url->url);
  const auto& repo = std::get<RepoEntry>(entry.what);
  return std::string(store::to_string(repo.type)) + ":" + repo.repo_id.str() + "@" + repo.revision.str();
}

bool selects(const RepoEntry& entry, const std::string& path) {
  if (!entry.include.empty() && !matches_any(entry.include, path)) return false;
  return !matches_any(entry.exclude, path);
}

std::string api_plural(store::RepoType type) { return std::string(store::to_string(type)) + "s"; }

std::string url_prefix(store::RepoType type) {
  return type == store::RepoType::model ? "" : api_plural(type) + "/";
}

} // namespace preload
