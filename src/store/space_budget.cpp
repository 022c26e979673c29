#include "store/space_budget.hpp"

#include "util/size.hpp"

namespace store {

bool SpaceBudget::try_take(std::uint64_t bytes) {
  std::uint64_t used = m_used.load();
  while (used + bytes <= m_bound) {
    if (m_used.compare_exchange_weak(used, used + bytes)) return true;
  }
  return false;
}

util::Result<void> SpaceBudget::reserve(std::uint64_t bytes) {
  if (bytes == 0 || try_take(bytes)) return {};
  if (bytes > m_bound) {
    return util::fail(util::Errc::io, "a body larger than the store's bound (--max-size " +
                                          util::format_size(m_bound) + ") cannot be kept");
  }
  std::lock_guard lock(m_evicting);
  for (int pass = 0; pass < 4; ++pass) {
    if (try_take(bytes)) return {};
    const std::uint64_t used = m_used.load();
    const std::uint64_t want = used + bytes > m_bound ? used + bytes - m_bound : 0;
    auto freed = m_evict(want);
    if (!freed) return tl::unexpected(freed.error());
    release(*freed);
    if (*freed == 0) break;
  }
  if (try_take(bytes)) return {};
  return util::fail(util::Errc::io, "the store is full (--max-size " + util::format_size(m_bound) + ", " +
                                        util::format_size(m_used.load()) +
                                        " held by files in use): nothing more can be kept now");
}

void SpaceBudget::release(std::uint64_t bytes) {
  std::uint64_t used = m_used.load();
  while (!m_used.compare_exchange_weak(used, used >= bytes ? used - bytes : 0)) {
  }
}

} // namespace store
