// A map bounded in entries: past its capacity the least recently used entry goes.
#pragma once

#include <cstddef>
#include <list>
#include <unordered_map>
#include <utility>

namespace util {

// Not thread-safe: callers lock. `Value`s handed out by find() are references into the map,
// valid until the next put(); keep shared_ptrs in it to hold one longer.
template <typename Key, typename Value> class LruMap {
public:
  // `capacity` >= 1.
  explicit LruMap(std::size_t capacity) : m_capacity(capacity < 1 ? 1 : capacity) {}

  // The value for `key`, now the most recently used; nullptr if there is none.
  Value* find(const Key& key) {
    const auto found = m_index.find(key);
    if (found == m_index.end()) return nullptr;
    m_order.splice(m_order.begin(), m_order, found->second);
    return &found->second->second;
  }

  // Sets `key` to `value`, as the most recently used, and drops the least recently used
  // entry if that makes one too many.
  void put(const Key& key, Value value) {
    if (Value* existing = find(key)) {
      *existing = std::move(value);
      return;
    }
    m_order.emplace_front(key, std::move(value));
    m_index.emplace(key, m_order.begin());
    if (m_order.size() > m_capacity) {
      m_index.erase(m_order.back().first);
      m_order.pop_back();
    }
  }

  std::size_t size() const { return m_order.size(); }
  std::size_t capacity() const { return m_capacity; }

private:
  std::size_t m_capacity;
  std::list<std::pair<Key, Value>> m_order;  // most recently used first
  std::unordered_map<Key, typename std::list<std::pair<Key, Value>>::iterator> m_index;
};

} // namespace util
