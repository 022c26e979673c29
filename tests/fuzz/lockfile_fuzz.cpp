// libFuzzer target: hubcache.lock (hub::parse_lockfile). Whatever parses keeps the line
// contract (commits are 40 hex, names non-empty), renders, and parses back to the same lock:
// the same text again, and the same lookups.
#include "hub/lockfile.hpp"
#include "hub/target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lock = hub::parse_lockfile(text, "fuzz.lock");
  if (!lock) {
    check(lock.error().code == util::Errc::invalid_argument && !lock.error().message.empty());
    return 0;
  }
  for (const auto& ref : lock->refs()) {
    check(hub::is_commit(ref.commit.str()) && !ref.repo_id.str().empty() && !ref.name.str().empty());
    check(lock->commit_of(ref.type, ref.repo_id, ref.name) == ref.commit);
  }
  for (const auto& file : lock->files()) {
    check(hub::is_commit(file.commit.str()) && !file.repo_id.str().empty() && !file.path.str().empty());
    check(lock->file(file.type, file.repo_id, file.commit, file.path) == &file);
  }
  for (const auto& url : lock->urls()) check(lock->url(url.url) == &url);

  const auto rendered = lock->render();
  const auto again = hub::parse_lockfile(rendered, "rendered.lock");
  check(again.has_value());
  check(again->render() == rendered);
  check(again->refs().size() == lock->refs().size() && again->files().size() == lock->files().size() &&
        again->urls().size() == lock->urls().size());
  for (const auto& file : lock->files()) {
    const auto* back = again->file(file.type, file.repo_id, file.commit, file.path);
    check(back && back->sha256 == file.sha256 && back->size == file.size);
  }
  for (const auto& url : lock->urls()) {
    const auto* back = again->url(url.url);
    check(back && back->sha256 == url.sha256 && back->size == url.size);
  }
  return 0;
}
