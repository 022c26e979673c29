// libFuzzer target: the reader `import` uses for a baked archive's index.db. The input is
// written to a file, opened with store::Index::open (which migrates an older schema) and
// every row is visited with for_each_*, as import and verify do. Must not crash or hang,
// must fail only with the documented kinds, and must touch no file but index.db and its WAL.
//
// Seeds (corpus/archive_index/) are index.db files hubcache wrote, rewritten with 512-byte
// pages (`PRAGMA page_size = 512; PRAGMA journal_mode = DELETE; VACUUM`) so that each is
// about 10 KB: baked_model and baked_dataset come from `hubcache bake` after a `preload` of
// the fake Hub's demo repos and a plain URL (the rows of one model file, one dataset file,
// their refs and a few recorded answers kept); live_store_wal from `store_tool write` (a live
// store in WAL mode); issue14_blob_not_sha256 is baked_model with one blob row renamed "zz…"
// (it made for_each_blob loop forever).
#include "store/index.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// A private folder for the database, removed when the run ends.
struct Folder {
  std::filesystem::path path;
  Folder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "archive-index-fuzz-XXXXXX").string();
    check(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~Folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

const std::filesystem::path& folder() {
  static const Folder folder;
  return folder.path;
}

void visit_all(store::Index& index) {
  std::uint64_t rows = 0;
  const auto ok_or_documented = [](const util::Result<void>& r) {
    check(r || r.error().code == util::Errc::corrupt || r.error().code == util::Errc::io);
  };
  ok_or_documented(index.for_each_blob([&](const store::BlobRow&) -> util::Result<void> {
    ++rows;
    return {};
  }));
  ok_or_documented(index.for_each_hub_object([&](const store::HubObject& o) {
    rows += o.key.repo_id.str().size() + o.key.path.str().size() + o.etag.str().size();
  }));
  ok_or_documented(index.for_each_ref([&](const store::Ref& ref) { rows += ref.commit.str().size(); }));
  ok_or_documented(index.for_each_exchange([&](const store::Exchange& e) {
    rows += e.headers.size() + e.url.size();
  }));
  (void)index.counts();
  (void)rows;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto db = folder() / "index.db";
  {
    std::ofstream out(db, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    check(out.good());
  }
  {
    auto index = store::Index::open(db, store::Index::Source::untrusted);
    if (index) {
      visit_all(**index);
    } else {
      const auto code = index.error().code;
      check(code == util::Errc::corrupt || code == util::Errc::io || code == util::Errc::unsupported);
    }
  }
  // Nothing but the database and its WAL files, whatever the database says.
  for (const auto& entry : std::filesystem::directory_iterator(folder())) {
    const auto name = entry.path().filename().string();
    check(name == "index.db" || name == "index.db-wal" || name == "index.db-shm" ||
          name == "index.db-journal");
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(db.string() + suffix);
  }
  return 0;
}
