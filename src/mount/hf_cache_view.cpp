#include "mount/hf_cache_view.hpp"

#include <tuple>

namespace mount {
namespace {

void add_dir(Tree& tree, const std::string& path) {
  if (tree.nodes.count(path)) return;
  tree.nodes[path].dir = true;
  if (path == "/") return;
  const auto slash = path.rfind('/');
  const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  add_dir(tree, parent);
  tree.nodes[parent].children.insert(path.substr(slash + 1));
}

void add_file(Tree& tree, const std::string& path, Node node) {
  const auto slash = path.rfind('/');
  const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  add_dir(tree, parent);
  tree.nodes[parent].children.insert(path.substr(slash + 1));
  tree.nodes[path] = std::move(node);
}

using RepoKey = std::tuple<store::RepoType, store::RepoId>;

} // namespace

const Node* Tree::find(const std::string& path) const {
  const auto it = nodes.find(path);
  return it == nodes.end() ? nullptr : &it->second;
}

util::Result<Tree> build_tree(store::Store& store, remote::RemoteTier* remote,
                              const std::function<void(const std::string&)>& warn) {
  // Names are validated values (store/names.hpp): a path here cannot leave its snapshot.
  std::map<RepoKey, std::map<store::Revision, store::CommitId>> refs;  // repo -> name -> commit
  // repo -> commit -> path -> file
  std::map<RepoKey, std::map<store::CommitId, std::map<store::RepoPath, store::HubObject>>> files;
  auto walked = store.index().for_each_ref([&](const store::Ref& ref) {
    if (ref.credential.empty()) refs[{ref.repo_type, ref.repo_id}].insert_or_assign(ref.name, ref.commit);
  });
  if (!walked) return tl::unexpected(walked.error());
  walked = store.index().for_each_hub_object([&](const store::HubObject& object) {
    if (!object.key.credential.empty()) return;
    files[{object.key.repo_type, object.key.repo_id}][object.key.commit].insert_or_assign(object.key.path,
                                                                                         object);
  });
  if (!walked) return tl::unexpected(walked.error());

  if (remote) {
    auto published = remote->refs();
    if (!published) {
      if (warn) warn("remote tier: " + published.error().message + " (showing the local tier)");
    } else {
      for (const auto& ref : *published) {
        const RepoKey repo{ref.repo_type, ref.repo_id};
        refs[repo].insert_or_assign(ref.name, ref.commit);
        auto at = remote->files_at(ref.repo_type, ref.repo_id, ref.commit);
        if (!at) {
          if (warn) warn("remote tier: " + at.error().message);
          continue;
        }
        auto& known = files[repo][ref.commit];
        for (auto& object : *at) known.emplace(object.key.path, std::move(object));
      }
    }
  }

  Tree tree;
  add_dir(tree, "/");
  for (const auto& [repo, commits] : files) {
    const std::string base = "/" + store::repo_folder(std::get<0>(repo), std::get<1>(repo));
    for (const auto& [commit, by_path] : commits) {
      add_dir(tree, base + "/snapshots/" + commit.str());
      for (const auto& [path, object] : by_path) {
        Node node;
        node.file = object;
        add_file(tree, base + "/snapshots/" + commit.str() + "/" + path.str(), std::move(node));
      }
    }
  }
  for (const auto& [repo, names] : refs) {
    const std::string base = "/" + store::repo_folder(std::get<0>(repo), std::get<1>(repo));
    for (const auto& [name, commit] : names) {
      Node node;
      node.content = commit.str();  // huggingface_hub writes the bare commit, no newline
      add_file(tree, base + "/refs/" + name.str(), std::move(node));
      add_dir(tree, base + "/snapshots/" + commit.str());
    }
  }
  return tree;
}

HfCacheView::HfCacheView(store::Store& store, remote::RemoteTier* remote, std::chrono::milliseconds ttl,
                         std::function<void(const std::string&)> warn)
    : m_store(store), m_remote(remote), m_ttl(ttl), m_warn(std::move(warn)) {}

std::shared_ptr<const Tree> HfCacheView::tree() {
  std::lock_guard lock(m_mutex);
  const auto now = std::chrono::steady_clock::now();
  if (m_tree && now - m_built < m_ttl) return m_tree;
  auto built = build_tree(m_store, m_remote, m_warn);
  if (!built) {
    if (m_warn) m_warn("cannot list the store: " + built.error().message);
    if (!m_tree) m_tree = std::make_shared<const Tree>();
  } else {
    m_tree = std::make_shared<const Tree>(std::move(*built));
  }
  m_built = now;
  return m_tree;
}

} // namespace mount
