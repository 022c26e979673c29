#include "store/bake.hpp"

#include "store/index.hpp"
#include "util/file.hpp"

#include <archive.h>
#include <fcntl.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>

namespace store {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_buffer = 256 * 1024;

// A fixed clock: every time in a baked index is the archive's mtime.
class FixedClock final : public util::Clock {
public:
  explicit FixedClock(util::UnixMillis at) : m_at(at) {}
  util::UnixMillis now() const override { return m_at; }

private:
  util::UnixMillis m_at;
};

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ReadArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

bool is_private_key(const std::string& key) { return key.find(" credential=") != std::string::npos; }

// Whether an exchange is about one of `repos` (the Hub's answers and listings), by its key.
bool exchange_about(const std::string& key, const std::vector<std::pair<RepoType, RepoId>>& repos) {
  for (const auto& [type, repo_id] : repos) {
    const std::string& id = repo_id.str();
    const std::string kind(to_string(type));
    if (key.rfind("hub-resolve " + kind + " " + id + " ", 0) == 0 ||
        key.rfind("hub-files " + kind + " " + id + " ", 0) == 0 ||
        key.rfind("hub-listing " + kind + " " + id + " ", 0) == 0 ||
        key.find(" /api/" + kind + "s/" + id + "/") != std::string::npos ||
        key.find(" /api/" + kind + "s/" + id + "?") != std::string::npos ||
        key.ends_with(" /api/" + kind + "s/" + id)) {
      return true;
    }
  }
  return false;
}

bool repo_selected(RepoType type, const RepoId& id,
                   const std::vector<std::pair<RepoType, RepoId>>& repos) {
  return repos.empty() ||
         std::find(repos.begin(), repos.end(), std::make_pair(type, id)) != repos.end();
}

util::Result<void> sqlite_exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return util::fail(util::Errc::io, std::string("compacting the baked index: ") + text);
  }
  return {};
}

// One file in the WAL-free, VACUUMed form: what makes equal content equal bytes.
util::Result<void> compact(const fs::path& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return util::fail(util::Errc::io, "cannot open the baked index " + db_path.string());
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> owned(db, sqlite3_close);
  for (const char* sql : {"PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA journal_mode = DELETE",
                          "VACUUM"}) {
    if (auto r = sqlite_exec(db, sql); !r) return r;
  }
  return {};
}

struct ArchiveWriter {
  std::unique_ptr<archive, ArchiveDeleter> a;
  std::int64_t mtime = 0;
  std::set<std::string> dirs;

  util::Error error(const std::string& what) const {
    return {util::Errc::io, what + ": " + (archive_error_string(a.get()) ?: "libarchive error")};
  }

  util::Result<void> header(const std::string& path, bool dir, std::uint64_t size) {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), dir ? 0755 : 0644);
    archive_entry_set_size(entry.get(), dir ? 0 : static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry.get(), mtime, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return tl::unexpected(error("cannot add " + path));
    }
    return {};
  }

  // Adds the directories above `path` not added yet (entries come in sorted order).
  util::Result<void> parents(const std::string& path) {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      const auto dir = path.substr(0, slash + 1);
      if (dirs.insert(dir).second) {
        if (auto r = header(dir, true, 0); !r) return r;
      }
    }
    return {};
  }

  util::Result<void> file(const std::string& path, const fs::path& source, std::uint64_t size,
                          const std::function<void(std::uint64_t)>& advanced) {
    if (auto r = parents(path); !r) return r;
    util::UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return util::fail_errno("open " + source.string());
    if (auto r = header(path, false, size); !r) return r;
    std::vector<std::uint8_t> buffer(k_buffer);
    std::uint64_t done = 0;
    while (done < size) {
      auto n = util::read_at(fd.get(), buffer, done);
      if (!n) return tl::unexpected(n.error());
      if (*n == 0) return util::fail(util::Errc::corrupt, source.string() + " is shorter than indexed");
      const auto wrote = archive_write_data(a.get(), buffer.data(), std::min<std::uint64_t>(*n, size - done));
      if (wrote < 0) return tl::unexpected(error("cannot write " + path));
      done += static_cast<std::uint64_t>(wrote);
      if (advanced) advanced(static_cast<std::uint64_t>(wrote));
    }
    return {};
  }
};

std::string blob_entry(const util::Sha256& digest) {
  const auto hex = digest.hex();
  return "blobs/sha256/" + hex.substr(0, 2) + "/" + hex;
}

} // namespace

util::Result<BakeTotals> bake(Store& source, const fs::path& output, const BakeOptions& options,
                              const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  BakeTotals totals;
  auto& index = source.index();
  std::vector<HubObject> objects;
  std::vector<Ref> refs;
  std::vector<Exchange> exchanges;
  if (auto r = index.for_each_hub_object([&](const HubObject& o) {
        if (!o.key.credential.empty()) {
          ++totals.private_skipped;
        } else if (repo_selected(o.key.repo_type, o.key.repo_id, options.repos)) {
          objects.push_back(o);
        }
      });
      !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = index.for_each_ref([&](const Ref& ref) {
        if (!ref.credential.empty()) {
          ++totals.private_skipped;
        } else if (repo_selected(ref.repo_type, ref.repo_id, options.repos)) {
          refs.push_back(ref);
        }
      });
      !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = index.for_each_exchange([&](const Exchange& e) {
        if (is_private_key(e.key)) {
          ++totals.private_skipped;
        } else if (options.repos.empty() || exchange_about(e.key, options.repos)) {
          exchanges.push_back(e);
        }
      });
      !r) {
    return tl::unexpected(r.error());
  }
  const auto object_order = [](const HubObject& a, const HubObject& b) {
    return std::tie(a.key.repo_type, a.key.repo_id, a.key.commit, a.key.path) <
           std::tie(b.key.repo_type, b.key.repo_id, b.key.commit, b.key.path);
  };
  std::sort(objects.begin(), objects.end(), object_order);
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) {
    return std::tie(a.repo_type, a.repo_id, a.name) < std::tie(b.repo_type, b.repo_id, b.name);
  });
  std::sort(exchanges.begin(), exchanges.end(),
            [](const Exchange& a, const Exchange& b) { return a.key < b.key; });

  // The index, afresh, beside the output.
  const fs::path work = output.parent_path().empty()
                            ? fs::path(".hubcache-bake-" + std::to_string(::getpid()))
                            : output.parent_path() / (".hubcache-bake-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(work, ec);
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{work};
  std::map<util::Sha256, std::uint64_t> blobs;  // sorted by digest: the archive's order
  {
    const FixedClock clock(options.mtime * 1000);
    auto baked = Store::open(work, OpenMode::create_if_missing, clock);
    if (!baked) return tl::unexpected(baked.error());
    // The body's digest and size are all put() reads of it.
    const auto reader = [&](const util::Sha256& digest, std::uint64_t size) {
      blobs.emplace(digest, size);
      return BlobReader(util::UniqueFd(), size, digest);
    };
    for (auto& o : objects) {
      HubObject copy = o;
      copy.key.credential.clear();
      if (auto r = (*baked)->put(reader(o.blob, o.size), copy); !r) return tl::unexpected(r.error());
    }
    for (auto& e : exchanges) {
      // When it was recorded is no part of the answer's content (and would make two stores
      // with the same content bake differently).
      util::remove_header(e.headers, "Date");
      if (e.blob) {
        const auto body = reader(*e.blob, e.body_size);
        if (auto r = (*baked)->put(&body, e); !r) return tl::unexpected(r.error());
      } else if (auto r = (*baked)->put(nullptr, e); !r) {
        return tl::unexpected(r.error());
      }
    }
    for (auto& ref : refs) {
      if (auto r = (*baked)->put(ref); !r) return tl::unexpected(r.error());
    }
  }
  if (auto r = compact(work / "index.db"); !r) return tl::unexpected(r.error());
  totals.hub_objects = objects.size();
  totals.refs = refs.size();
  totals.exchanges = exchanges.size();
  totals.blobs = blobs.size();
  std::uint64_t total_bytes = 0;
  for (const auto& [_, size] : blobs) total_bytes += size;
  totals.blob_bytes = total_bytes;

  const fs::path partial = output.string() + ".tmp";
  ArchiveWriter writer;
  writer.a.reset(archive_write_new());
  writer.mtime = options.mtime;
  if (archive_write_set_format_pax_restricted(writer.a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_zstd(writer.a.get()) != ARCHIVE_OK ||
      archive_write_open_filename(writer.a.get(), partial.c_str()) != ARCHIVE_OK) {
    return tl::unexpected(writer.error("cannot write " + partial.string()));
  }
  std::uint64_t done = 0;
  const auto advanced = [&](std::uint64_t n) {
    done += n;
    if (progress) progress(total_bytes, done);
  };
  auto written = [&]() -> util::Result<void> {
    for (const auto& [digest, size] : blobs) {
      const auto path = source.layout().blob_path(digest);
      // Pinned while it is read, so no gc removes it meanwhile.
      auto pinned = source.blobs().open(digest);
      if (!pinned) return tl::unexpected(pinned.error());
      if (!*pinned) {
        return util::fail(util::Errc::corrupt, "blob " + digest.hex() +
                                                   " is indexed but missing (run hubcache verify)");
      }
      if (auto r = writer.file(blob_entry(digest), path, size, advanced); !r) return r;
    }
    const auto db = work / "index.db";
    if (auto r = writer.file("index.db", db, fs::file_size(db), {}); !r) return r;
    if (archive_write_close(writer.a.get()) != ARCHIVE_OK) {
      return tl::unexpected(writer.error("cannot finish " + partial.string()));
    }
    return {};
  }();
  writer.a.reset();
  if (!written) {
    fs::remove(partial, ec);
    return tl::unexpected(written.error());
  }
  // Its size and digest, for the summary (and a Docker layer's cache key).
  {
    util::UniqueFd fd(::open(partial.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return util::fail_errno("open " + partial.string());
    util::Sha256Hasher hasher;
    std::vector<std::uint8_t> buffer(k_buffer);
    std::uint64_t at = 0;
    for (;;) {
      auto n = util::read_at(fd.get(), buffer, at);
      if (!n) return tl::unexpected(n.error());
      if (*n == 0) break;
      hasher.update(std::span(buffer.data(), *n));
      at += *n;
    }
    totals.archive_bytes = at;
    totals.archive_sha256 = hasher.finish();
  }
  fs::rename(partial, output, ec);
  if (ec) return util::fail(util::Errc::io, "rename to " + output.string() + ": " + ec.message());
  return totals;
}

util::Result<ImportTotals> import_bake(Store& target, const fs::path& archive_path) {
  ImportTotals totals;
  std::unique_ptr<archive, ReadArchiveDeleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  const auto damaged = [&](const std::string& what) {
    return util::fail(util::Errc::corrupt,
                      archive_path.string() + ": " + what + ": " +
                          (archive_error_string(a.get()) ?: "not a hubcache bake"));
  };
  if (archive_read_open_filename(a.get(), archive_path.c_str(), k_buffer) != ARCHIVE_OK) {
    return damaged("cannot open");
  }
  std::set<util::Sha256> verified;
  const fs::path db_path = target.layout().tmp_dir() / ("import-" + std::to_string(::getpid()) + ".db");
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix, ignored);
    }
  } cleanup{db_path};
  bool have_index = false;
  std::vector<std::uint8_t> buffer(k_buffer);
  archive_entry* entry = nullptr;
  for (;;) {
    const int status = archive_read_next_header(a.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status != ARCHIVE_OK) return damaged("damaged");
    const std::string path = archive_entry_pathname(entry);
    if (archive_entry_filetype(entry) == AE_IFDIR) continue;
    const bool is_blob = path.rfind("blobs/sha256/", 0) == 0;
    if (!is_blob && path != "index.db") {
      return util::fail(util::Errc::corrupt, archive_path.string() + ": unexpected entry '" +
                                                 path + "' (not a hubcache bake)");
    }
    // Both kinds stream through a file: a blob into the store's writer, the index to tmp/.
    std::optional<BlobWriter> blob;
    util::UniqueFd db_fd;
    if (is_blob) {
      auto writer = target.begin_blob();
      if (!writer) return tl::unexpected(writer.error());
      blob.emplace(std::move(*writer));
    } else {
      db_fd.reset(::open(db_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!db_fd) return util::fail_errno("create " + db_path.string());
    }
    for (;;) {
      const auto n = archive_read_data(a.get(), buffer.data(), buffer.size());
      if (n < 0) return damaged("damaged in " + path);
      if (n == 0) break;
      const auto bytes = std::span(buffer.data(), static_cast<std::size_t>(n));
      auto r = blob ? blob->write(bytes) : util::write_all(db_fd.get(), bytes, "write the index");
      if (!r) return tl::unexpected(r.error());
    }
    if (!blob) {
      have_index = true;
      continue;
    }
    const auto name = util::Sha256::from_hex(path.substr(path.rfind('/') + 1));
    if (!name) {
      return util::fail(util::Errc::corrupt, archive_path.string() + ": '" + path +
                                                 "' is not named by a sha256");
    }
    const auto size = blob->size();
    auto placed = blob->commit({std::nullopt, *name});
    if (!placed) {
      totals.errors.push_back(path + ": " + placed.error().message);
      continue;
    }
    verified.insert(*name);
    ++totals.blobs;
    totals.blob_bytes += size;
  }
  if (!have_index) {
    return util::fail(util::Errc::corrupt, archive_path.string() + ": no index.db (not a hubcache bake)");
  }
  auto baked = Index::open(db_path, Index::Source::untrusted);
  if (!baked) return tl::unexpected(util::with_context(baked.error(), archive_path.string()));
  // Rows go in only for blobs that were verified here, each pinned while it is indexed.
  const auto pin = [&](const util::Sha256& digest) -> std::optional<BlobReader> {
    if (!verified.count(digest)) return std::nullopt;
    auto reader = target.blobs().open(digest);
    if (!reader || !*reader) return std::nullopt;
    return std::move(**reader);
  };
  std::optional<util::Error> failure;
  const auto note = [&](const util::Result<void>& r) {
    if (!r && !failure) failure = r.error();
  };
  // A bake holds nothing private (bake() leaves it out): a row with a credential scope is not
  // one this store could have made, and is refused.
  const auto invalid = [&](const util::Error& e) { totals.errors.push_back(e.message + "; not imported"); };
  std::set<std::tuple<RepoType, RepoId, CommitId>> commits;  // those with a file imported
  note((*baked)->for_each_hub_object(
      [&](const HubObject& o) {
        const std::string name = o.key.repo_id.str() + "@" + o.key.commit.str() + " " + o.key.path.str();
        if (!o.key.credential.empty()) {
          totals.errors.push_back(name + ": recorded with a credential; not imported");
          return;
        }
        auto body = pin(o.blob);
        if (!body) {
          totals.errors.push_back(name + ": its blob was not verified; not imported");
          return;
        }
        note(target.put(*body, o));
        commits.emplace(o.key.repo_type, o.key.repo_id, o.key.commit);
        ++totals.hub_objects;
      },
      invalid));
  note((*baked)->for_each_exchange(
      [&](const Exchange& e) {
        if (is_private_key(e.key)) {
          totals.errors.push_back(util::printable(e.key) + ": recorded with a credential; not imported");
          return;
        }
        if (!e.blob) {
          note(target.put(nullptr, e));
          ++totals.exchanges;
          return;
        }
        auto body = pin(*e.blob);
        if (!body) {
          totals.errors.push_back(util::printable(e.key) + ": its blob was not verified; not imported");
          return;
        }
        note(target.put(&*body, e));
        ++totals.exchanges;
      },
      invalid));
  // A ref sends clients to a commit: only to one whose files are here.
  note((*baked)->for_each_ref(
      [&](const Ref& ref) {
        const std::string name = ref.repo_id.str() + " " + ref.name.str() + " -> " + ref.commit.str();
        if (!ref.credential.empty()) {
          totals.errors.push_back(name + ": recorded with a credential; not imported");
          return;
        }
        bool has_files = commits.count({ref.repo_type, ref.repo_id, ref.commit}) > 0;
        if (!has_files) {
          auto held = target.index().hub_objects_at(ref.repo_type, ref.repo_id, ref.commit, "",
                                                    CredentialMatch::exact);
          has_files = held && !held->empty();
        }
        if (!has_files) {
          totals.errors.push_back("ref " + name + ": no file of that commit was imported; not imported");
          return;
        }
        note(target.put(ref));
        ++totals.refs;
      },
      invalid));
  if (failure) return tl::unexpected(*failure);
  return totals;
}

} // namespace store
