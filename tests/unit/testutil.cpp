#include "testutil.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace testutil {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/hubcache-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

TestStore::TestStore() {
  auto opened = store::Store::open(dir.path() / "store", store::OpenMode::create_if_missing, clock);
  if (!opened) throw std::runtime_error(opened.error().message);
  store = std::move(*opened);
}

namespace {

template <typename Name> Name name(std::string_view text) {
  auto name = Name::from(text);
  if (!name) throw std::runtime_error(name.error().message);
  return *name;
}

} // namespace

store::RepoId repo(std::string_view text) { return name<store::RepoId>(text); }
store::CommitId commit_id(std::string_view text) { return name<store::CommitId>(text); }
store::RepoPath repo_path(std::string_view text) { return name<store::RepoPath>(text); }
store::Revision revision(std::string_view text) { return name<store::Revision>(text); }
store::Etag etag(std::string_view text) { return name<store::Etag>(text); }

store::BlobReader write_blob(store::Store& store, const std::string& content) {
  auto writer = store.begin_blob();
  if (!writer) throw std::runtime_error(writer.error().message);
  if (auto r = writer->write(content); !r) throw std::runtime_error(r.error().message);
  auto reader = writer->commit();
  if (!reader) throw std::runtime_error(reader.error().message);
  return std::move(*reader);
}

store::HubObjectKey put_hub_file(store::Store& store, const std::string& content,
                                 const std::string& path, const std::string& repo,
                                 const std::string& commit) {
  auto body = write_blob(store, content);
  const store::HubObject object{{store::RepoType::model, testutil::repo(repo), commit_id(commit), repo_path(path)},
                                body.digest(),
                                etag(body.digest().hex()),
                                body.size(),
                                true};
  if (auto r = store.put(body, object); !r) throw std::runtime_error(r.error().message);
  return object.key;
}

void put_exchange(store::Store& store, const std::string& content, const std::string& url) {
  auto body = write_blob(store, content);
  store::Exchange exchange;
  exchange.key = "GET " + url;
  exchange.method = "GET";
  exchange.url = url;
  exchange.status = 200;
  exchange.headers = {{"Content-Type", "application/octet-stream"}};
  if (auto r = store.put(&body, exchange); !r) throw std::runtime_error(r.error().message);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

} // namespace testutil
