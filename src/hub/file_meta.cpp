#include "hub/file_meta.hpp"

#include "hub/target.hpp"

#include <charconv>
#include <vector>

namespace hub {

namespace {

std::optional<std::uint64_t> number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

} // namespace

std::optional<FileMeta> file_meta(const upstream::ResponseHead& head) {
  if (head.status != 200) return std::nullopt;
  // The Hub's own answer is the first hop that describes the file: the 302 of an LFS file
  // (X-Linked-*), or the 200 with an ETag. Before it may come a 307 of a renamed repo (which
  // says nothing of the file), or the 307 to /api/resolve-cache/ the Hub answers for a small
  // file since 2025 (hf-protocol.md §11.1), which names the commit but no ETag: the 200 it
  // leads to does. A CDN's headers never count: it answers after the 302.
  std::vector<const util::Headers*> hops;
  for (const auto& hop : head.redirects) hops.push_back(&hop.headers);
  hops.push_back(&head.headers);
  const util::Headers* found = nullptr;
  std::optional<std::string> named;  // the commit an earlier hop named
  for (const util::Headers* hop : hops) {
    const auto commit = util::find_header(*hop, "X-Repo-Commit");
    if (util::find_header(*hop, "X-Linked-Etag") || (commit && util::find_header(*hop, "ETag"))) {
      // A hop that named one commit and led to an answer about another is no Hub's.
      if (named && commit != named) return std::nullopt;
      found = hop;
      break;
    }
    if (commit && !named) named = commit;
  }
  if (!found) return std::nullopt;
  const util::Headers& hub = *found;
  auto commit = store::CommitId::parse(util::find_header(hub, "X-Repo-Commit").value_or(""));
  if (!commit) return std::nullopt;
  bool lfs = false;
  std::string etag;
  std::uint64_t size = 0;
  if (auto linked = util::find_header(hub, "X-Linked-Etag")) {
    lfs = true;
    etag = util::normalize_etag(*linked);
    const auto linked_size = number(util::find_header(hub, "X-Linked-Size"));
    if (!linked_size) return std::nullopt;
    size = *linked_size;
  } else {
    const auto plain = util::find_header(hub, "ETag");
    if (!plain || !head.content_length) return std::nullopt;
    etag = util::normalize_etag(*plain);
    size = *head.content_length;
  }
  auto valid_etag = store::Etag::parse(etag);
  if (!valid_etag) return std::nullopt;
  return FileMeta{std::move(*commit), std::move(*valid_etag), size, lfs};
}

util::Headers file_headers(const store::HubObject& object) {
  util::Headers headers;
  headers.emplace_back("Content-Type", object.lfs ? "application/octet-stream"
                                                  : "text/plain; charset=utf-8");
  headers.emplace_back("ETag", "\"" + object.etag.str() + "\"");
  headers.emplace_back("X-Repo-Commit", object.key.commit.str());
  if (object.lfs) {
    headers.emplace_back("X-Linked-Etag", "\"" + object.etag.str() + "\"");
    headers.emplace_back("X-Linked-Size", std::to_string(object.size));
  }
  return headers;
}

} // namespace hub
