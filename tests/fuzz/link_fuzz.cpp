// libFuzzer target: the Link header code. The next-page parser (util::next_link) and
// what the Hub routes do to the headers they pass on (hub::strip_xet, hub::rewrite_origin),
// plus the "xetHash" filter on bodies (hub::strip_xet_json). Each input line is a header
// ("Name: value"; a line without a colon is a Link value); the whole input is also a body.
#include "hub/xet.hpp"
#include "util/headers.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

constexpr std::string_view k_upstream = "https://huggingface.co";
constexpr std::string_view k_own = "http://127.0.0.1:8080";

void check(bool ok) {
  if (!ok) std::abort();
}

util::Headers headers_of(std::string_view text) {
  util::Headers headers;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    const auto line = text.substr(start, end - start);
    start = end + 1;
    if (auto header = util::parse_header_line(line)) {
      headers.push_back(std::move(*header));
    } else {
      headers.emplace_back("Link", std::string(line));
    }
  }
  return headers;
}

bool has_xet_rel(const util::Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (!util::iequals(name, "Link")) continue;
    // An entry's params follow its URL; a Xet rel anywhere outside <...> is a leftover.
    bool in_url = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '<') in_url = true;
      if (value[i] == '>') in_url = false;
      if (in_url) continue;
      const auto rest = std::string_view(value).substr(i);
      if (rest.rfind("rel=\"xet-", 0) == 0 || rest.rfind("rel=xet-", 0) == 0) return true;
    }
  }
  return false;
}

void check_next_link(const util::Headers& headers) {
  const auto next = util::next_link(headers);
  if (!next) return;
  // The URL is what stood between '<' and the first '>' after it, in some Link value.
  check(next->find('>') == std::string::npos);
  bool found = false;
  for (const auto& [name, value] : headers) {
    if (util::iequals(name, "Link") && value.find("<" + *next + ">") != std::string::npos) found = true;
  }
  check(found);
}

void check_xet(const util::Headers& headers) {
  const auto stripped = hub::strip_xet(headers);
  for (const auto& [name, value] : stripped) {
    check(!(name.size() >= 6 && util::iequals(name.substr(0, 6), "X-Xet-")));
    if (util::iequals(name, "Link")) check(!value.empty());
  }
  check(!has_xet_rel(stripped));
  check(hub::strip_xet(stripped) == stripped);  // nothing left to strip
  check(stripped.size() <= headers.size());

  // Rewriting the origin: every Link URL and Location of the Hub's now names hubcache, the
  // other headers stay, and the next page is the same page on hubcache.
  const auto rewritten = hub::rewrite_origin(headers, k_upstream, k_own);
  check(rewritten.size() == headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = rewritten[i];
    check(name == headers[i].first);
    if (util::iequals(name, "Link")) {
      check(value.find("<" + std::string(k_upstream)) == std::string::npos);
    } else if (util::iequals(name, "Location")) {
      check(value.rfind(k_upstream, 0) != 0);
    } else {
      check(value == headers[i].second);
    }
  }
  const auto before = util::next_link(headers);
  const auto after = util::next_link(rewritten);
  check(before.has_value() == after.has_value());
  // (A URL holding '<' is no URL: the rewrite looks at each '<', next_link at the first.)
  if (before && before->find('<') == std::string::npos) {
    if (before->rfind(k_upstream, 0) == 0) {
      check(*after == std::string(k_own) + before->substr(k_upstream.size()));
    } else {
      check(*after == *before);
    }
  }
}

void check_json(std::string_view body) {
  const auto out = hub::strip_xet_json(body);
  if (out == body) return;
  // Changed only when it was JSON with an "xetHash" member: now JSON without any.
  const auto json = nlohmann::json::parse(out, nullptr, false);
  check(!json.is_discarded());
  std::vector<const nlohmann::json*> todo{&json};
  while (!todo.empty()) {
    const auto* value = todo.back();
    todo.pop_back();
    if (value->is_object()) check(!value->contains("xetHash"));
    if (value->is_structured()) {
      for (const auto& child : *value) todo.push_back(&child);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto headers = headers_of(text);
  check_next_link(headers);
  check_xet(headers);
  check_json(text);
  return 0;
}
