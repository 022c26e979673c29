// libFuzzer target: preload manifests (preload::parse_manifest). Every accepted entry keeps
// the documented grammar (a repo id of Hub names and a revision, or an http(s) URL), and
// written back as a manifest line it parses to the same entry.
#include "preload/manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool has_space(std::string_view text) {
  return text.find_first_of(" \t\r\n") != std::string_view::npos;
}

std::string join(const std::vector<std::string>& globs) {
  std::string out;
  for (const auto& glob : globs) out += (out.empty() ? "" : ",") + glob;
  return out;
}

// The entry as a manifest line: the long form, every option spelled once.
std::string line_of(const preload::Entry& entry) {
  if (const auto* url = std::get_if<preload::UrlEntry>(&entry.what)) {
    return url->url + (url->sha256 ? " sha256=" + url->sha256->hex() : "");
  }
  const auto& repo = std::get<preload::RepoEntry>(entry.what);
  std::string line =
      std::string(store::to_string(repo.type)) + ":" + repo.repo_id.str() + "@" + repo.revision.str();
  if (!repo.include.empty()) line += " include=" + join(repo.include);
  if (!repo.exclude.empty()) line += " exclude=" + join(repo.exclude);
  return line;
}

bool same(const preload::Entry& a, const preload::Entry& b) {
  if (a.what.index() != b.what.index()) return false;
  if (const auto* url = std::get_if<preload::UrlEntry>(&a.what)) {
    const auto& other = std::get<preload::UrlEntry>(b.what);
    return url->url == other.url && url->sha256 == other.sha256;
  }
  const auto& x = std::get<preload::RepoEntry>(a.what);
  const auto& y = std::get<preload::RepoEntry>(b.what);
  return x.type == y.type && x.repo_id == y.repo_id && x.revision == y.revision &&
         x.include == y.include && x.exclude == y.exclude;
}

void check_entry(const preload::Entry& entry) {
  check(!entry.source.empty());
  if (const auto* url = std::get_if<preload::UrlEntry>(&entry.what)) {
    check(url->url.rfind("http://", 0) == 0 || url->url.rfind("https://", 0) == 0);
    check(!has_space(url->url));
  } else {
    const auto& repo = std::get<preload::RepoEntry>(entry.what);
    const std::string& id = repo.repo_id.str();
    check(!id.empty() && id.size() <= 2 * 96 + 1);
    check(id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789-_./") == std::string::npos);
    check(id.find("..") == std::string::npos && id.front() != '/' && id.back() != '/');
    check(!repo.revision.str().empty() && !has_space(repo.revision.str()));
    for (const auto* globs : {&repo.include, &repo.exclude}) {
      for (const auto& glob : *globs) {
        check(!glob.empty() && glob.find(',') == std::string::npos && !has_space(glob));
      }
    }
    (void)preload::selects(repo, "config.json");
    (void)preload::selects(repo, "onnx/model.onnx");
  }
  (void)preload::describe(entry);

  const auto again = preload::parse_manifest(line_of(entry), "again");
  check(again.has_value() && again->size() == 1);
  check(same(entry, again->front()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = preload::parse_manifest(text, "fuzz.txt");
  if (!parsed) {
    check(parsed.error().code == util::Errc::invalid_argument);
    check(!parsed.error().message.empty());
    return 0;
  }
  for (const auto& entry : *parsed) check_entry(entry);
  return 0;
}
