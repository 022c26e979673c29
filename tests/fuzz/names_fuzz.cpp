// libFuzzer target: the validating constructors of every name that comes from outside
// (store/names.hpp) and the Hub target parser that makes them from a request. Properties: a
// name that parses stays inside a folder (no "..", no empty part, no leading '/'), holds no
// control character, and parses again to itself; a Hub target's names are such names.
#include "hub/target.hpp"
#include "store/entry.hpp"
#include "store/names.hpp"
#include "util/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

bool has_control(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool stays_inside(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  std::size_t start = 0;
  for (;;) {
    const auto end = path.find('/', start);
    const auto part = path.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

template <typename Name> void round_trip(std::string_view text) {
  if (auto name = Name::parse(text)) {
    check(name->str() == text);
    check(!has_control(name->str()));
    check(Name::parse(name->str()).has_value());
    check(Name::from(text).has_value());
  } else {
    check(!Name::from(text).has_value());
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip<store::CommitId>(text);
  round_trip<store::RepoId>(text);
  round_trip<store::RepoPath>(text);
  round_trip<store::Revision>(text);
  round_trip<store::Etag>(text);
  if (auto path = store::RepoPath::parse(text)) {
    check(stays_inside(path->str()));
    check(util::is_valid_utf8(path->str()));
  }
  if (auto etag = store::Etag::parse(text)) check(etag->str().find('/') == std::string_view::npos);
  if (auto repo = store::RepoId::parse(text)) {
    // The cache folder of a repo names it back, and only it.
    const auto folder = store::repo_folder(store::RepoType::model, *repo);
    const auto back = store::parse_repo_folder(folder);
    check(back && back->second == *repo);
  }
  (void)util::printable(text);
  (void)store::parse_repo_spec(text);
  // A Hub target: whatever parses names only valid values.
  if (auto target = hub::parse_target(text); target && *target) {
    const auto& t = **target;
    if (t.repo_id) check(store::RepoId::parse(t.repo_id->str()).has_value());
    if (t.path) check(stays_inside(t.path->str()));
    if (t.revision) check(!has_control(t.revision->str()));
  }
  return 0;
}
