#include "cache/expectation.hpp"

namespace cache {

util::Result<std::optional<util::Sha256>> expected_sha256(const util::Headers& headers) {
  const auto value = util::find_header(headers, k_expect_sha256_header);
  if (!value) return std::optional<util::Sha256>();
  if (auto digest = util::Sha256::from_hex(*value)) return std::optional<util::Sha256>(*digest);
  return util::fail(util::Errc::invalid_argument,
                    std::string(k_expect_sha256_header) + " must be 64 hex digits, got '" +
                        *value + "'");
}

bool wants_refresh(const util::Headers& headers) {
  return util::find_header(headers, k_refresh_header).value_or("") == "1";
}


} // namespace cache
