// Helpers every unit test shares: a private temporary directory, a clock the test sets,
// and one-call blob writes.
#pragma once

#include "store/store.hpp"
#include "util/clock.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

namespace testutil {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

class ManualClock final : public util::Clock {
public:
  explicit ManualClock(util::UnixMillis start = 1'700'000'000'000) : m_now(start) {}
  util::UnixMillis now() const override { return m_now; }
  void advance_ms(util::UnixMillis ms) { m_now += ms; }

private:
  std::atomic<util::UnixMillis> m_now;
};

// A store in its own temp dir with a manual clock.
struct TestStore {
  TempDir dir;
  ManualClock clock;
  std::unique_ptr<store::Store> store;
  TestStore();
  store::Store& operator*() { return *store; }
  store::Store* operator->() { return store.get(); }
};

// Validated names from a test's literals; an invalid one throws (the test fails).
store::RepoId repo(std::string_view text);
store::CommitId commit_id(std::string_view text);
store::RepoPath repo_path(std::string_view text);
store::Revision revision(std::string_view text);
store::Etag etag(std::string_view text);

// Writes `content` as a blob and commits it; aborts the test on failure.
store::BlobReader write_blob(store::Store& store, const std::string& content);

// Writes `content` and indexes it as file `path` of model `repo` at `commit`.
store::HubObjectKey put_hub_file(store::Store& store, const std::string& content,
                                 const std::string& path, const std::string& repo = "acme/tiny",
                                 const std::string& commit = std::string(40, 'a'));

// Writes `content` and indexes it as a GET of `url`.
void put_exchange(store::Store& store, const std::string& content, const std::string& url);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

} // namespace testutil
