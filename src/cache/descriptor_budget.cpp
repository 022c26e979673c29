#include "cache/descriptor_budget.hpp"

#include <algorithm>

namespace cache {

std::size_t hot_entries_within(const DescriptorBudget& budget) {
  const std::uint64_t reserved = budget.connections * k_descriptors_per_connection +
                                 budget.fetches * k_descriptors_per_fetch + k_descriptor_margin;
  if (budget.limit <= reserved) return 0;
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(budget.limit - reserved, k_max_hot_entries));
}

} // namespace cache
