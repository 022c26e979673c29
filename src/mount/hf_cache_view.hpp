// What `hubcache mount` shows: the standard Hugging Face cache layout, symlink-free,
//   models--org--name/refs/<branch>                (the commit, as huggingface_hub writes it)
//   models--org--name/snapshots/<commit>/<path>    (the file's bytes)
// made from the local store and the remote tier (refs from the bucket win), as a tree
// rebuilt when older than the TTL. No FUSE here: fuse_mount.cpp is the glue.
#pragma once

#include "remote/remote_tier.hpp"
#include "store/store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace mount {

struct Node {
  bool dir = false;
  std::set<std::string> children;           // names, for a directory
  std::optional<store::HubObject> file;     // a snapshot file
  std::string content;                      // a ref file's bytes
  std::uint64_t size() const { return file ? file->size : content.size(); }
};

// Paths are "/"-rooted: "/", "/models--org--name/snapshots/<commit>/config.json".
struct Tree {
  std::map<std::string, Node> nodes;
  const Node* find(const std::string& path) const;
};

// Builds the tree once: local refs and files, then the bucket's refs (which win) and the
// files it holds at their commits. Credential-scoped rows are left out.
util::Result<Tree> build_tree(store::Store& store, remote::RemoteTier* remote,
                              const std::function<void(const std::string&)>& warn);

// Safe from any thread.
class HfCacheView {
public:
  HfCacheView(store::Store& store, remote::RemoteTier* remote, std::chrono::milliseconds ttl,
              std::function<void(const std::string&)> warn);
  // The current tree; rebuilt first if older than the TTL (the old one stays if that fails).
  std::shared_ptr<const Tree> tree();

private:
  store::Store& m_store;
  remote::RemoteTier* m_remote;
  std::chrono::milliseconds m_ttl;
  std::function<void(const std::string&)> m_warn;
  std::mutex m_mutex;
  std::shared_ptr<const Tree> m_tree;
  std::chrono::steady_clock::time_point m_built{};
};

} // namespace mount
