// Every path inside a store, in one place (as LevelDB's db/filename.h names every file of a
// database). doc/store-format.md describes what each one holds and the order they are written.
#pragma once

#include "util/sha256.hpp"

#include <filesystem>
#include <optional>
#include <string_view>

namespace store {

class Layout {
public:
  explicit Layout(std::filesystem::path root) : m_root(std::move(root)) {}

  const std::filesystem::path& root() const { return m_root; }
  std::filesystem::path index_db() const { return m_root / "index.db"; }
  std::filesystem::path blobs_dir() const { return m_root / "blobs" / "sha256"; }
  // blobs/sha256/ab/<64 hex>: two-character fan-out keeps directories small.
  std::filesystem::path blob_path(const util::Sha256& digest) const;
  std::filesystem::path tmp_dir() const { return m_root / "tmp"; }
  std::filesystem::path quarantine_dir() const { return m_root / "quarantine"; }
  std::filesystem::path logs_dir() const { return m_root / "logs"; }
  // The interception CA (ca.pem, ca-key.pem): see proxy/certificate_authority.hpp.
  std::filesystem::path ca_dir() const { return m_root / "ca"; }

  // The digest a path under blobs_dir() names; std::nullopt for anything that is not
  // `<2 hex>/<64 hex>` with matching prefix.
  static std::optional<util::Sha256> digest_of_blob_name(std::string_view fanout,
                                                         std::string_view name);

private:
  std::filesystem::path m_root;
};

} // namespace store
