#include "store/verify.hpp"

#include "store/store.hpp"

#include <array>

namespace store {

std::string_view to_string(VerifyProblem::Kind kind) {
  switch (kind) {
  case VerifyProblem::Kind::corrupt:
    return "corrupt";
  case VerifyProblem::Kind::missing:
    return "missing";
  case VerifyProblem::Kind::stray:
    return "stray";
  }
  return "corrupt";
}

namespace {

struct Hashed {
  util::Sha256 digest;
  std::uint64_t size = 0;
};

util::Result<Hashed> hash_blob(const BlobReader& reader, const VerifyProgress& progress) {
  util::Sha256Hasher hasher;
  std::array<std::uint8_t, 1 << 20> buffer;
  std::uint64_t offset = 0;
  for (;;) {
    auto n = reader.read_at(buffer, offset);
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    hasher.update(std::span(buffer.data(), *n));
    offset += *n;
    if (progress.advance) progress.advance(*n);
  }
  return Hashed{hasher.finish(), offset};
}

} // namespace

util::Result<VerifyReport> verify(Store& store, const VerifyProgress& progress) {
  VerifyReport report;
  auto counts = store.index().counts();
  if (!counts) return tl::unexpected(counts.error());
  if (progress.start) progress.start(counts->blob_bytes);

  auto checked = store.index().for_each_blob([&](const BlobRow& row) -> util::Result<void> {
    const auto path = store.layout().blob_path(row.digest).string();
    auto reader = store.blobs().open(row.digest);
    if (!reader) return tl::unexpected(reader.error());
    if (!*reader) {
      auto removed = store.index().delete_blob(row.digest);
      if (!removed) return tl::unexpected(removed.error());
      report.problems.push_back({VerifyProblem::Kind::missing,
                                 path,
                                 "indexed but not on disk; its entries were removed",
                                 *removed,
                                 {}});
      return {};
    }
    auto hashed = hash_blob(**reader, progress);
    if (!hashed) return tl::unexpected(util::with_context(hashed.error(), path));
    ++report.blobs_checked;
    report.bytes_checked += hashed->size;
    if (hashed->digest == row.digest && hashed->size == row.size) return {};

    const std::string detail = hashed->digest != row.digest
                                   ? "content hashes to " + hashed->digest.hex()
                                   : "size " + std::to_string(hashed->size) +
                                         " bytes, indexed as " + std::to_string(row.size);
    reader->reset();
    auto removed = store.index().delete_blob(row.digest);
    if (!removed) return tl::unexpected(removed.error());
    auto moved = store.blobs().quarantine(row.digest, store.clock().now());
    if (!moved) return tl::unexpected(moved.error());
    report.problems.push_back({VerifyProblem::Kind::corrupt, path, detail, *removed,
                               *moved ? (*moved)->string() : std::string()});
    return {};
  });
  if (!checked) return tl::unexpected(checked.error());

  auto listed = store.blobs().for_each_file(
      [&](const BlobStore::FileInfo& file) -> util::Result<void> {
        auto row = store.index().find_blob(file.digest);
        if (!row) return tl::unexpected(row.error());
        if (!*row) ++report.orphan_files;
        return {};
      },
      [&](const std::filesystem::path& path) {
        report.problems.push_back({VerifyProblem::Kind::stray,
                                   path.string(),
                                   "not a blob name; remove it by hand if it is not yours",
                                   0,
                                   {}});
      });
  if (!listed) return tl::unexpected(listed.error());
  return report;
}

} // namespace store
