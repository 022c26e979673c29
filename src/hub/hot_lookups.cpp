#include "hub/hot_lookups.hpp"

#include "hub/file_meta.hpp"

#include <initializer_list>
#include <string_view>

namespace hub {

namespace {

// Refs hold no descriptor: a generous bound on the memory they take.
constexpr std::size_t k_max_hot_refs = 10'000;

// A key naming every part a lookup took, each ended by a NUL (no validated name holds one).
std::string key_of(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (const auto part : parts) key.append(part).push_back('\0');
  return key;
}

std::string_view match_name(store::CredentialMatch match) {
  return match == store::CredentialMatch::any ? "any" : "exact";
}

} // namespace

HotLookups::HotLookups(store::Store& store, std::size_t files)
    : m_store(store), m_refs(k_max_hot_refs), m_files(files), m_exchanges(files) {}

util::Result<std::optional<store::CommitId>> HotLookups::commit_of(store::RepoType type,
                                                                   const store::RepoId& repo_id,
                                                                   const store::Revision& revision,
                                                                   const std::string& scope,
                                                                   store::CredentialMatch match) {
  const std::string key =
      key_of({store::to_string(type), repo_id.str(), revision.str(), match_name(match), scope});
  // Read before the store is: a ref learned meanwhile makes this entry stale at once.
  const auto generation = m_store.ref_generation();
  if (auto commit = m_refs.find(key, generation)) return commit;
  auto ref = m_store.find_ref(type, repo_id, revision, scope, match);
  if (!ref) return tl::unexpected(ref.error());
  if (!*ref) return std::nullopt;
  m_refs.put(key, (*ref)->commit, generation);
  return (*ref)->commit;
}

util::Result<std::shared_ptr<const HotFile>> HotLookups::file(const store::HubObjectKey& key,
                                                              store::CredentialMatch match) {
  const std::string name = key_of({store::to_string(key.repo_type), key.repo_id.str(), key.commit.str(),
                                   key.path.str(), match_name(match), key.credential});
  if (auto hot = m_files.find(name)) {
    // The LRU order still sees the use (cheap: the store notes a key once per granularity).
    if (auto noted = m_store.note_hub_object_use((*hot)->object.key); !noted) {
      return tl::unexpected(noted.error());
    }
    return *hot;
  }
  auto found = m_files.open_freeing([&] { return m_store.open_hub_object(key, match); });
  if (!found) return tl::unexpected(found.error());
  if (!*found) return nullptr;
  auto headers = file_headers((*found)->entry);
  std::shared_ptr<const HotFile> kept = std::make_shared<const HotFile>(
      HotFile{std::move((*found)->entry),
              std::make_shared<const store::BlobReader>(std::move(*(*found)->body)), std::move(headers)});
  m_files.put(name, kept);
  return kept;
}

util::Result<std::shared_ptr<const store::Found<store::Exchange>>> HotLookups::exchange(const std::string& key) {
  // Read before the store is: an exchange recorded meanwhile makes this entry stale at once.
  const auto generation = m_store.exchange_generation();
  if (auto hot = m_exchanges.find(key, generation)) {
    if (auto noted = m_store.note_exchange_use(key); !noted) return tl::unexpected(noted.error());
    return *hot;
  }
  auto found = m_exchanges.open_freeing([&] { return m_store.open_exchange(key); });
  if (!found) return tl::unexpected(found.error());
  if (!*found) return nullptr;
  std::shared_ptr<const store::Found<store::Exchange>> kept =
      std::make_shared<const store::Found<store::Exchange>>(std::move(**found));
  m_exchanges.put(key, kept, generation);
  return kept;
}

} // namespace hub
