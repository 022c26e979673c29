// A test tool that drives the store library from its own process, so the integration tests
// can kill it mid-write, run two at once, or have it hold a blob open.
//
//   store_tool write STORE COUNT SEED DISTINCT MAX_BYTES   commit COUNT blobs and entries; the
//                                                          content of each is one of DISTINCT
//                                                          variants shared by every process
//   store_tool put STORE BYTES SEED                        write one blob of BYTES, index it
//   store_tool hold STORE DIGEST                           pin a blob until stdin closes
#include "store/store.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace {

// A name this tool makes itself: always valid.
template <typename Name> Name valid(std::string_view text) { return Name::parse(text).value(); }

}  // namespace

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "store_tool: error: %s\n", message.c_str());
  return 1;
}

// Content variant `id`: its length and bytes depend only on `id`.
std::string variant(std::uint64_t id, std::uint64_t max_bytes) {
  std::mt19937_64 rng(id * 7919 + 1);
  std::string content(1 + rng() % max_bytes, '\0');
  for (auto& c : content)
    c = static_cast<char>(rng());
  return content;
}

util::Result<void> write_chunked(store::BlobWriter& writer, const std::string& content) {
  constexpr std::size_t k_chunk = 64 * 1024;
  for (std::size_t at = 0; at < content.size(); at += k_chunk) {
    if (auto r = writer.write(std::string_view(content).substr(at, k_chunk)); !r) return r;
  }
  return {};
}

int write_many(store::Store& store, int count, std::uint64_t seed, std::uint64_t distinct,
               std::uint64_t max_bytes) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < count; ++i) {
    const std::uint64_t id = rng() % distinct;
    const std::string content = variant(id, max_bytes);
    auto writer = store.begin_blob();
    if (!writer) return fail(writer.error().message);
    if (auto r = write_chunked(*writer, content); !r) return fail(r.error().message);
    auto body = writer->commit({content.size(), util::Sha256::of(content)});
    if (!body) return fail(body.error().message);
    const std::string name = std::to_string(seed) + "-" + std::to_string(i);
    util::Result<void> put;
    switch (i % 3) {
    case 0: {
      const store::HubObject object{{store::RepoType::model, valid<store::RepoId>("stress/repo"),
                                     valid<store::CommitId>(std::string(40, 'a')),
                                     valid<store::RepoPath>(name)},
                                    body->digest(),
                                    valid<store::Etag>(body->digest().hex()),
                                    body->size(),
                                    true};
      put = store.put(*body, object);
      break;
    }
    case 1: {
      store::Exchange exchange;
      exchange.key = exchange.url = "https://origin.test/" + name;
      exchange.method = "GET";
      exchange.status = 200;
      put = store.put(&*body, exchange);
      break;
    }
    default: {
      const store::HubObject object{{store::RepoType::dataset, valid<store::RepoId>("stress/data"),
                                     valid<store::CommitId>(std::string(40, 'b')),
                                     valid<store::RepoPath>(name)},
                                    body->digest(),
                                    valid<store::Etag>(body->digest().hex()),
                                    body->size()};
      put = store.put(*body, object);
      if (put)
        put = store.put(store::Ref{store::RepoType::dataset, object.key.repo_id,
                                   valid<store::Revision>(name), object.key.commit, 0});
    }
    }
    if (!put) return fail(put.error().message);
    std::printf("ok %d %s\n", i, body->digest().hex().c_str());
    std::fflush(stdout);
  }
  return 0;
}

int put_one(store::Store& store, std::uint64_t bytes, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto writer = store.begin_blob();
  if (!writer) return fail(writer.error().message);
  std::string chunk(1 << 20, '\0');
  for (std::uint64_t written = 0; written < bytes; written += chunk.size()) {
    for (auto& c : chunk)
      c = static_cast<char>(rng());
    const auto n = std::min<std::uint64_t>(chunk.size(), bytes - written);
    if (auto r = writer->write(std::string_view(chunk).substr(0, n)); !r) {
      return fail(r.error().message);
    }
  }
  auto body = writer->commit({bytes, std::nullopt});
  if (!body) return fail(body.error().message);
  store::Exchange exchange;
  exchange.key = exchange.url = "https://origin.test/put/" + std::to_string(seed);
  exchange.method = "GET";
  exchange.status = 200;
  if (auto r = store.put(&*body, exchange); !r) return fail(r.error().message);
  std::printf("%s\n", body->digest().hex().c_str());
  return 0;
}

int hold(store::Store& store, const std::string& hex) {
  const auto digest = util::Sha256::from_hex(hex);
  if (!digest) return fail("not a digest: " + hex);
  auto reader = store.blobs().open(*digest);
  if (!reader) return fail(reader.error().message);
  if (!*reader) return fail("no such blob: " + hex);
  std::printf("pinned\n");
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: store_tool write|put|hold STORE ...");
  const std::string mode = argv[1];
  auto store = store::Store::open(argv[2], store::OpenMode::create_if_missing);
  if (!store) return fail(store.error().message);
  if (mode == "write" && argc == 7) {
    return write_many(**store, std::atoi(argv[3]), std::strtoull(argv[4], nullptr, 10),
                      std::strtoull(argv[5], nullptr, 10), std::strtoull(argv[6], nullptr, 10));
  }
  if (mode == "put" && argc == 5) {
    return put_one(**store, std::strtoull(argv[3], nullptr, 10),
                   std::strtoull(argv[4], nullptr, 10));
  }
  if (mode == "hold" && argc == 4) return hold(**store, argv[3]);
  return fail("bad arguments; see the comment at the top of store_tool.cpp");
}
