// libFuzzer target: what a resolve answer says about a file (hub::file_meta, and
// util::normalize_etag under it). The input is a response head as text: blocks separated by
// a blank line, each a status line ("302") then "Name: value" lines; the last block is the
// final answer, those before it the redirect hops (Content-Length of the last one is its
// length). Checks that an accepted FileMeta keeps its contract (40-hex commit, non-empty
// etag) and survives the trip through the headers hubcache serves for it.
#include "hub/file_meta.hpp"
#include "hub/target.hpp"
#include "util/hex.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Block {
  int status = 0;
  util::Headers headers;
};

std::vector<Block> blocks_of(std::string_view text) {
  std::vector<Block> blocks(1);
  bool first_line = true;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    auto line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (!first_line) blocks.emplace_back();
      first_line = true;
      continue;
    }
    if (first_line) {
      first_line = false;
      std::from_chars(line.data(), line.data() + line.size(), blocks.back().status);
      continue;
    }
    if (auto header = util::parse_header_line(line)) blocks.back().headers.push_back(*header);
  }
  if (blocks.size() > 1 && first_line) blocks.pop_back();  // a trailing blank line
  return blocks;
}

std::optional<std::uint64_t> number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) return std::nullopt;
  return value;
}

void check_normalize(std::string_view etag) {
  const auto normalized = util::normalize_etag(etag);
  // Only W/ and one pair of quotes go: what is left is a piece of the input.
  check(normalized.size() <= etag.size());
  check(etag.find(normalized) != std::string_view::npos);
  // What hubcache sends back ("\"" + etag + "\"") normalizes to the same etag, weak or not.
  check(util::normalize_etag("\"" + normalized + "\"") == normalized);
  check(util::normalize_etag("W/\"" + normalized + "\"") == normalized);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_normalize(text);

  auto blocks = blocks_of(text);
  upstream::ResponseHead head;
  head.status = blocks.back().status;
  head.headers = blocks.back().headers;
  head.url = "https://huggingface.co/org/name/resolve/main/file";
  head.content_length = number(util::find_header(head.headers, "Content-Length"));
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i) {
    upstream::Hop hop;
    hop.status = blocks[i].status;
    hop.headers = blocks[i].headers;
    hop.url = head.url;
    head.redirects.push_back(std::move(hop));
  }
  for (const auto& block : blocks) {
    for (const auto& [name, value] : block.headers) {
      if (util::iequals(name, "ETag") || util::iequals(name, "X-Linked-Etag")) check_normalize(value);
    }
  }

  const auto meta = hub::file_meta(head);
  if (!meta) return 0;
  check(head.status == 200);
  check(hub::is_commit(meta->commit.str()) && util::is_lower_hex(meta->commit.str(), 40));
  check(!meta->etag.str().empty() && meta->etag.str().find('/') == std::string::npos);

  // Served back as hubcache serves a file it holds, then read as a client reads it.
  const store::HubObject object{{store::RepoType::model, store::RepoId::parse("org/name").value(),
                                 meta->commit, store::RepoPath::parse("file").value(), {}},
                                util::Sha256{},
                                meta->etag,
                                meta->size,
                                meta->lfs};
  upstream::ResponseHead served;
  served.status = 200;
  served.headers = hub::file_headers(object);
  served.content_length = meta->size;
  const auto again = hub::file_meta(served);
  check(again.has_value());
  check(again->commit == meta->commit && again->etag == meta->etag && again->size == meta->size &&
        again->lfs == meta->lfs);
  return 0;
}
