#include "store/layout.hpp"

#include "util/hex.hpp"

namespace store {

std::filesystem::path Layout::blob_path(const util::Sha256& digest) const {
  const std::string hex = digest.hex();
  return blobs_dir() / hex.substr(0, 2) / hex;
}

std::optional<util::Sha256> Layout::digest_of_blob_name(std::string_view fanout,
                                                        std::string_view name) {
  if (!util::is_lower_hex(name, 64) || fanout != name.substr(0, 2)) return std::nullopt;
  return util::Sha256::from_hex(name);
}

} // namespace store
