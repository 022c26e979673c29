// Store benchmarks: index lookups among 1 M entries, and blob write throughput.
// bench/run-store runs this next to `cp` of the same file; figures go to bench/README.md.
#include "store/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include <benchmark/benchmark.h>

namespace {

std::filesystem::path bench_dir() {
  const char* dir = std::getenv("HUBCACHE_BENCH_DIR");
  return dir && *dir ? dir : std::filesystem::temp_directory_path() / "hubcache-bench";
}

store::HubObjectKey key_of(std::uint64_t i) {
  return {store::RepoType::model, store::RepoId::parse("org/repo-" + std::to_string(i % 1000)).value(),
          store::CommitId::parse(std::string(40, 'c')).value(),
          store::RepoPath::parse("shards/file-" + std::to_string(i) + ".safetensors").value()};
}

// Builds (once, then reuses) an index of `entries` hub objects.
store::Index& index_with(std::uint64_t entries) {
  static std::unique_ptr<store::Index> index;
  if (index) return *index;
  const auto path = bench_dir() / ("index-" + std::to_string(entries) + ".db");
  std::filesystem::create_directories(path.parent_path());
  index = store::Index::open(path).value();
  if (index->counts().value().hub_objects < entries) {
    // One transaction per 10 000 rows would be faster, but put_hub_object is what hubcache
    // really runs; 1 M of them takes a minute, once.
    for (std::uint64_t i = index->counts().value().hub_objects; i < entries; ++i) {
      const auto blob = util::Sha256::of(std::to_string(i));
      const store::HubObject o{key_of(i), blob, store::Etag::parse(blob.hex()).value(), i};
      if (!index->put_hub_object(o)) std::abort();
    }
  }
  if (!index->checkpoint()) std::abort();
  return *index;
}

void BM_IndexLookup1M(benchmark::State& state) {
  constexpr std::uint64_t k_entries = 1'000'000;
  auto& index = index_with(k_entries);
  std::mt19937_64 rng(42);
  for (auto _ : state) {
    auto found = index.find_hub_object(key_of(rng() % k_entries));
    if (!found || !*found) state.SkipWithError("lookup missed");
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexLookup1M)->Unit(benchmark::kMicrosecond);

void BM_IndexLookupMiss1M(benchmark::State& state) {
  auto& index = index_with(1'000'000);
  std::uint64_t i = 0;
  for (auto _ : state) {
    auto found = index.find_hub_object(key_of(2'000'000 + i++));
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexLookupMiss1M)->Unit(benchmark::kMicrosecond);

// Writes a blob of state.range(0) bytes in 1 MiB chunks, commits (hash check, fsync, link)
// and indexes it; each iteration writes different content.
void BM_BlobWrite(benchmark::State& state) {
  const auto root = bench_dir() / "write-store";
  std::filesystem::remove_all(root);
  auto store = store::Store::open(root, store::OpenMode::create_if_missing).value();
  const auto size = static_cast<std::uint64_t>(state.range(0));
  std::string chunk(1 << 20, '\0');
  std::mt19937_64 rng(7);
  for (auto& c : chunk)
    c = static_cast<char>(rng());
  std::uint64_t iteration = 0;
  for (auto _ : state) {
    auto writer = store->begin_blob().value();
    chunk[0] = static_cast<char>(iteration);
    chunk[1] = static_cast<char>(iteration++ >> 8);
    for (std::uint64_t written = 0; written < size; written += chunk.size()) {
      const auto n = std::min<std::uint64_t>(chunk.size(), size - written);
      if (!writer.write(std::string_view(chunk).substr(0, n))) state.SkipWithError("write");
    }
    auto body = writer.commit({size, std::nullopt});
    if (!body) state.SkipWithError("commit");
    store::Exchange e;
    e.key = e.url = "https://bench/" + std::to_string(iteration);
    e.method = "GET";
    e.status = 200;
    if (!store->put(&*body, e)) state.SkipWithError("put");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  std::filesystem::remove_all(root);
}
BENCHMARK(BM_BlobWrite)
    ->Arg(4 << 10)
    ->Arg(1 << 20)
    ->Arg(256 << 20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
