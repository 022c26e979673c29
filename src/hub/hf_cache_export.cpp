#include "hub/hf_cache_export.hpp"

#include "util/file.hpp"
#include "util/size.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

namespace hub {

namespace fs = std::filesystem;

namespace {

struct RepoKey {
  store::RepoType type;
  store::RepoId repo_id;
  auto operator<=>(const RepoKey&) const = default;
};

// One file of one snapshot; credential scopes of the same file collapse into one.
struct FileEntry {
  store::Etag etag;
  util::Sha256 blob;
  std::uint64_t size = 0;
};

// commit -> path -> file
using Commits = std::map<store::CommitId, std::map<store::RepoPath, FileEntry>>;

bool selected(const ExportOptions& options, const RepoKey& repo) {
  if (options.repos.empty()) return true;
  for (const auto& wanted : options.repos) {
    const auto colon = wanted.find(':');
    if (colon == std::string::npos) {
      if (repo.repo_id == wanted) return true;
      continue;
    }
    const auto type = store::parse_repo_type(wanted.substr(0, colon));
    if (type && *type == repo.type && repo.repo_id == std::string_view(wanted).substr(colon + 1)) {
      return true;
    }
  }
  return false;
}

// `root / relative`, refused unless it stays under `root`. The names that make `relative` are
// validated values already (store/names.hpp); this is the second look the trust rule asks
// for where a name becomes a file (DESIGN.md, "Trust").
util::Result<fs::path> inside(const fs::path& root, const fs::path& relative) {
  const fs::path joined = (root / relative).lexically_normal();
  const fs::path back = joined.lexically_relative(root.lexically_normal());
  if (relative.is_absolute() || back.empty() || *back.begin() == "..") {
    return util::fail(util::Errc::invalid_argument,
                      "'" + util::printable(relative.string()) + "' would leave " + root.string());
  }
  return joined;
}

// A copy of its own (never an inode shared with the store): a reflink where the file system
// can, else copy_file_range, else read and write.
util::Result<void> copy_blob(const fs::path& from, const fs::path& to) {
  util::UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return util::fail_errno("cannot read " + from.string());
  util::UniqueFd dst(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!dst) return util::fail_errno("cannot create " + to.string());
  if (::ioctl(dst.get(), FICLONE, in.get()) == 0) {
    if (::fsync(dst.get()) != 0) return util::fail_errno("cannot fsync " + to.string());
    return {};
  }
  for (;;) {
    const ssize_t n = ::copy_file_range(in.get(), nullptr, dst.get(), nullptr, 1 << 30, 0);
    if (n > 0) continue;
    if (n == 0) {
      if (::fsync(dst.get()) != 0) return util::fail_errno("cannot fsync " + to.string());
      return {};
    }
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
      return util::fail_errno("cannot copy " + from.string() + " to " + to.string());
    }
    break;  // fall back to read and write, from where copy_file_range left off
  }
  std::vector<std::uint8_t> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return util::fail_errno("cannot read " + from.string());
    if (n == 0) break;
    if (auto w = util::write_all(dst.get(), std::span(buffer.data(), static_cast<std::size_t>(n)),
                                 to.c_str());
        !w) {
      return w;
    }
  }
  if (::fsync(dst.get()) != 0) return util::fail_errno("cannot fsync " + to.string());
  return {};
}

enum class Placed { linked, copied, unchanged };

// Renames the finished `temp` over `target`; on failure `temp` is removed.
util::Result<void> publish(const fs::path& temp, const fs::path& target) {
  if (::rename(temp.c_str(), target.c_str()) == 0) return {};
  auto error = util::fail_errno("cannot write " + target.string());
  ::unlink(temp.c_str());
  return error;
}

// Whether an exported file may share the store's inode.
enum class Share { link_allowed, copy_only };

// Puts the store's blob at `target` as a regular file: a hard link when `share` allows and
// the file system does, else a copy; through a temporary name, so `target` is never half
// written. A store's blobs are read-only (0444): a hard link is made only where the layout
// keeps the file behind a symlink (blobs/), never as a snapshot file a user may edit.
util::Result<Placed> place_file(const fs::path& blob, std::uint64_t size, const fs::path& target,
                                Share share) {
  struct stat existing {};
  if (::lstat(target.c_str(), &existing) == 0 && S_ISREG(existing.st_mode) &&
      static_cast<std::uint64_t>(existing.st_size) == size) {
    struct stat source {};
    const bool shares_inode = ::stat(blob.c_str(), &source) == 0 &&
                              source.st_ino == existing.st_ino && source.st_dev == existing.st_dev;
    // An earlier export's hard link where a copy belongs is replaced; anything else stays.
    if (share == Share::link_allowed || !shares_inode) return Placed::unchanged;
  }
  if (auto made = util::make_dirs(target.parent_path()); !made) return tl::unexpected(made.error());
  const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".hubcache-tmp");
  ::unlink(temp.c_str());
  Placed how = Placed::linked;
  if (share == Share::copy_only || ::link(blob.c_str(), temp.c_str()) != 0) {
    if (share == Share::link_allowed && errno != EXDEV && errno != EPERM && errno != EMLINK) {
      return util::fail_errno("cannot link " + blob.string() + " to " + temp.string());
    }
    if (auto copied = copy_blob(blob, temp); !copied) {
      ::unlink(temp.c_str());
      return tl::unexpected(copied.error());
    }
    how = Placed::copied;
  }
  if (auto published = publish(temp, target); !published) return tl::unexpected(published.error());
  return how;
}

util::Result<bool> place_symlink(const fs::path& link, const fs::path& points_to) {
  std::error_code ec;
  if (fs::is_symlink(link, ec) && fs::read_symlink(link, ec) == points_to) return false;
  if (auto made = util::make_dirs(link.parent_path()); !made) return tl::unexpected(made.error());
  const fs::path temp = link.parent_path() / ("." + link.filename().string() + ".hubcache-tmp");
  ::unlink(temp.c_str());
  if (::symlink(points_to.c_str(), temp.c_str()) != 0) {
    return util::fail_errno("cannot create the symlink " + link.string());
  }
  if (auto published = publish(temp, link); !published) return tl::unexpected(published.error());
  return true;
}

// refs/<name> holds the 40 hex digits of the commit and no newline, as the Python client
// writes it.
util::Result<bool> place_ref(const fs::path& file, const store::CommitId& commit_id) {
  const std::string& commit = commit_id.str();
  std::error_code ec;
  if (fs::is_regular_file(file, ec) && fs::file_size(file, ec) == commit.size()) {
    util::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    std::string current(commit.size(), '\0');
    if (fd && ::read(fd.get(), current.data(), current.size()) ==
                  static_cast<ssize_t>(current.size()) &&
        current == commit) {
      return false;
    }
  }
  if (auto made = util::make_dirs(file.parent_path()); !made) return tl::unexpected(made.error());
  if (auto written = util::write_file_atomically(file, commit); !written) {
    return tl::unexpected(written.error());
  }
  return true;
}

} // namespace

util::Result<ExportTotals> export_hf_cache(store::Store& store, const fs::path& out,
                                           const ExportOptions& options,
                                           const std::function<void(const std::string&)>& progress) {
  std::map<RepoKey, Commits> repos;
  ExportTotals totals;
  const auto damaged = [&](const util::Error& error) { totals.errors.push_back(error.message); };
  auto visited = store.index().for_each_hub_object(
      [&](const store::HubObject& object) {
        const RepoKey repo{object.key.repo_type, object.key.repo_id};
        if (!selected(options, repo)) return;
        repos[repo][object.key.commit].insert_or_assign(object.key.path,
                                                        FileEntry{object.etag, object.blob, object.size});
      },
      damaged);
  if (!visited) return tl::unexpected(visited.error());
  std::map<RepoKey, std::map<store::Revision, store::CommitId>> refs;
  auto visited_refs = store.index().for_each_ref(
      [&](const store::Ref& ref) {
        const RepoKey repo{ref.repo_type, ref.repo_id};
        auto found = repos.find(repo);
        // A ref to a commit with no file here would send an offline client to a missing snapshot.
        if (found == repos.end() || !found->second.contains(ref.commit)) return;
        // Scopes agree on where a branch points; the last one read wins.
        refs[repo].insert_or_assign(ref.name, ref.commit);
      },
      damaged);
  if (!visited_refs) return tl::unexpected(visited_refs.error());
  for (const auto& wanted : options.repos) {
    bool found = false;
    for (const auto& [repo, commits] : repos) {
      found = found || selected(ExportOptions{true, {wanted}}, repo);
    }
    if (!found) {
      return util::fail(util::Errc::invalid_argument,
                        "--repo " + wanted + ": the store holds no files of that repo");
    }
  }
  if (auto made = util::make_dirs(out); !made) return tl::unexpected(made.error());

  for (const auto& [repo, commits] : repos) {
    const fs::path root = out / repo_folder(repo.type, repo.repo_id);
    std::uint64_t repo_files = 0;
    std::uint64_t repo_bytes = 0;
    for (const auto& [commit, files] : commits) {
      const fs::path snapshot = root / "snapshots" / commit.str();
      for (const auto& [path, file] : files) {
        const fs::path blob = store.layout().blob_path(file.blob);
        util::Result<Placed> placed = Placed::unchanged;
        const auto target = inside(snapshot, path.str());
        const auto stored = inside(root / "blobs", file.etag.str());
        if (!target || !stored) {
          placed = tl::unexpected(!target ? target.error() : stored.error());
        } else if (options.symlinks) {
          placed = place_file(blob, file.size, *stored, Share::link_allowed);
          if (placed) {
            // As the Python client makes it: relative, from the file's own folder.
            const auto relative = target->parent_path().lexically_relative(root).string();
            fs::path up;
            for (const auto& part : fs::path(relative)) {
              if (!part.empty()) up /= "..";
            }
            auto linked = place_symlink(*target, up / "blobs" / file.etag.str());
            if (!linked) placed = tl::unexpected(linked.error());
            else if (*linked && *placed == Placed::unchanged) placed = Placed::linked;
          }
        } else {
          // Replacing a symlink from an earlier export with symlinks.
          std::error_code ec;
          if (fs::is_symlink(*target, ec)) fs::remove(*target, ec);
          placed = place_file(blob, file.size, *target, Share::copy_only);
        }
        if (!placed) {
          totals.errors.push_back(repo.repo_id.str() + " " + path.str() + ": " + placed.error().message);
          continue;
        }
        ++totals.files;
        ++repo_files;
        totals.bytes += file.size;
        repo_bytes += file.size;
        switch (*placed) {
        case Placed::linked: ++totals.linked; break;
        case Placed::copied: ++totals.copied; break;
        case Placed::unchanged: ++totals.unchanged; break;
        }
      }
      ++totals.revisions;
    }
    if (const auto found = refs.find(repo); found != refs.end()) {
      for (const auto& [name, commit] : found->second) {
        const auto file = inside(root / "refs", name.str());
        auto placed = file ? place_ref(*file, commit) : tl::unexpected(file.error());
        if (!placed) {
          totals.errors.push_back(repo.repo_id.str() + " ref " + name.str() + ": " + placed.error().message);
          continue;
        }
        ++totals.refs;
      }
    }
    ++totals.repos;
    if (progress) {
      progress(std::string(store::to_string(repo.type)) + " " + repo.repo_id.str() + ": " +
               std::to_string(commits.size()) + " revision" + (commits.size() == 1 ? "" : "s") +
               ", " + std::to_string(repo_files) + " files, " + util::format_size(repo_bytes));
    }
  }
  return totals;
}

} // namespace hub
