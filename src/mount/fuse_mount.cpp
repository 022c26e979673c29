#define FUSE_USE_VERSION 31
#include "mount/fuse_mount.hpp"

#include <fuse.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mount {
namespace {

// An open file: the ref's bytes, or a snapshot file's reader.
struct Handle {
  std::string content;
  std::unique_ptr<OpenFile> file;
};

struct Context {
  HfCacheView* view;
  FileReads* reads;
  std::function<void(const std::string&)> notice;
  // Every handle not yet released: the kernel may not release them all before an unmount.
  std::mutex mutex;
  std::unordered_map<Handle*, std::unique_ptr<Handle>> open;
};

Context& context() { return *static_cast<Context*>(fuse_get_context()->private_data); }

void fill_stat(const Node& node, struct stat* st) {
  std::memset(st, 0, sizeof *st);
  if (node.dir) {
    st->st_mode = S_IFDIR | 0555;
    st->st_nlink = 2;
  } else {
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(node.size());
    st->st_blocks = static_cast<blkcnt_t>((node.size() + 511) / 512);
  }
}

int fs_getattr(const char* path, struct stat* st, struct fuse_file_info*) {
  const auto tree = context().view->tree();
  const Node* node = tree->find(path);
  if (!node) return -ENOENT;
  fill_stat(*node, st);
  return 0;
}

int fs_readdir(const char* path, void* buffer, fuse_fill_dir_t fill, off_t, struct fuse_file_info*,
               enum fuse_readdir_flags) {
  const auto tree = context().view->tree();
  const Node* node = tree->find(path);
  if (!node) return -ENOENT;
  if (!node->dir) return -ENOTDIR;
  fill(buffer, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  fill(buffer, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  const std::string base = std::string(path) == "/" ? "" : path;
  for (const auto& name : node->children) {
    struct stat st {};
    if (const Node* child = tree->find(base + "/" + name)) fill_stat(*child, &st);
    fill(buffer, name.c_str(), &st, 0, static_cast<fuse_fill_dir_flags>(0));
  }
  return 0;
}

int fs_open(const char* path, struct fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
  auto& ctx = context();
  const auto tree = ctx.view->tree();
  const Node* node = tree->find(path);
  if (!node) return -ENOENT;
  if (node->dir) return -EISDIR;
  auto handle = std::make_unique<Handle>();
  if (node->file) {
    auto opened = ctx.reads->open(*node->file);
    if (!opened) {
      if (opened.error().code == util::Errc::offline_miss) return -ENOENT;
      if (ctx.notice) ctx.notice(std::string("open ") + path + ": " + opened.error().message);
      return -EIO;
    }
    handle->file = std::move(*opened);
    fi->keep_cache = 1;  // content at a commit never changes
  } else {
    handle->content = node->content;
  }
  fi->fh = reinterpret_cast<std::uint64_t>(handle.get());
  std::lock_guard lock(ctx.mutex);
  ctx.open.emplace(handle.get(), std::move(handle));
  return 0;
}

// A bufvec of `size` bytes of memory (libfuse frees both with free()), or null.
fuse_bufvec* memory_buffer(std::size_t size) {
  auto* vec = static_cast<fuse_bufvec*>(std::malloc(sizeof(fuse_bufvec)));
  if (!vec) return nullptr;
  *vec = FUSE_BUFVEC_INIT(size);
  if (size > 0 && !(vec->buf[0].mem = std::malloc(size))) {
    std::free(vec);
    return nullptr;
  }
  return vec;
}

// The reply names the bytes where they are (the blob, or the fill's partial file, once the
// fill has passed them) and libfuse splices them to the kernel: no copy through this
// process. Only a read far ahead of the fill is copied, from the bucket.
int fs_read_buf(const char* path, struct fuse_bufvec** bufp, size_t size, off_t offset,
                struct fuse_file_info* fi) {
  auto* handle = reinterpret_cast<Handle*>(fi->fh);
  if (!handle) return -EBADF;
  if (!handle->file) {
    const std::size_t at = std::min(static_cast<std::size_t>(offset), handle->content.size());
    const std::size_t n = std::min(size, handle->content.size() - at);
    fuse_bufvec* vec = memory_buffer(n);
    if (!vec) return -ENOMEM;
    if (n > 0) std::memcpy(vec->buf[0].mem, handle->content.data() + at, n);
    *bufp = vec;
    return 0;
  }
  auto& ctx = context();
  const auto failed = [&](const util::Error& error) {
    if (ctx.notice) ctx.notice(std::string("read ") + path + ": " + error.message);
    return -EIO;
  };
  auto where = ctx.reads->extent(*handle->file, size, static_cast<std::uint64_t>(offset));
  if (!where) return failed(where.error());
  if (*where) {
    const Extent& at = **where;
    fuse_bufvec* vec = memory_buffer(0);
    if (!vec) return -ENOMEM;
    *bufp = vec;
    if (at.length == 0) return 0;  // at or past the end
    vec->buf[0].size = at.length;
    vec->buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK | FUSE_BUF_FD_RETRY);
    vec->buf[0].fd = at.fd;
    vec->buf[0].pos = static_cast<off_t>(at.offset);
    return 0;
  }
  fuse_bufvec* vec = memory_buffer(size);
  if (!vec) return -ENOMEM;
  auto n = ctx.reads->read(*handle->file, std::span(static_cast<std::uint8_t*>(vec->buf[0].mem), size),
                           static_cast<std::uint64_t>(offset));
  if (!n) {
    std::free(vec->buf[0].mem);
    std::free(vec);
    return failed(n.error());
  }
  vec->buf[0].size = *n;
  *bufp = vec;
  return 0;
}

int fs_release(const char*, struct fuse_file_info* fi) {
  auto& ctx = context();
  std::unique_ptr<Handle> released;
  {
    std::lock_guard lock(ctx.mutex);
    if (auto it = ctx.open.find(reinterpret_cast<Handle*>(fi->fh)); it != ctx.open.end()) {
      released = std::move(it->second);
      ctx.open.erase(it);
    }
  }
  fi->fh = 0;
  return 0;
}

void* fs_init(struct fuse_conn_info* conn, struct fuse_config* config) {
  // Replies that name a file's bytes (fs_read_buf) are spliced, not copied through us.
  if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
  config->kernel_cache = 1;
  config->entry_timeout = 1.0;
  config->attr_timeout = 1.0;
  config->negative_timeout = 0;
  return fuse_get_context()->private_data;
}

} // namespace

util::Result<void> run_fuse(const MountOptions& options, HfCacheView& view, FileReads& reads,
                            const std::function<void()>& ready,
                            const std::function<void(const std::string&)>& notice) {
  fuse_operations ops{};
  ops.getattr = fs_getattr;
  ops.readdir = fs_readdir;
  ops.open = fs_open;
  ops.read_buf = fs_read_buf;
  ops.release = fs_release;
  ops.init = fs_init;

  std::vector<std::string> args = {"hubcache", "-o", "ro,default_permissions,fsname=hubcache,subtype=hubcache"};
  if (options.allow_other) args.insert(args.end(), {"-o", "allow_other"});
  if (options.debug) args.push_back("-d");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());

  Context ctx{&view, &reads, notice, {}, {}};
  fuse* fs = fuse_new(&fargs, &ops, sizeof ops, &ctx);
  if (!fs) {
    fuse_opt_free_args(&fargs);
    return util::fail(util::Errc::io, "cannot start the FUSE file system");
  }
  if (fuse_mount(fs, options.mountpoint.c_str()) != 0) {
    fuse_destroy(fs);
    fuse_opt_free_args(&fargs);
    return util::fail(util::Errc::io, "cannot mount on " + options.mountpoint.string() +
                                          " (is /dev/fuse there, and the directory empty and not mounted?)");
  }
  fuse_session* session = fuse_get_session(fs);
  if (fuse_set_signal_handlers(session) != 0) {
    fuse_unmount(fs);
    fuse_destroy(fs);
    fuse_opt_free_args(&fargs);
    return util::fail(util::Errc::io, "cannot install the signal handlers");
  }
  if (ready) ready();
  const int looped = fuse_loop_mt(fs, 0);
  fuse_remove_signal_handlers(session);
  fuse_unmount(fs);
  fuse_destroy(fs);
  fuse_opt_free_args(&fargs);
  if (looped < 0 && looped != -EINTR) return util::fail(util::Errc::io, "the FUSE loop failed: " + std::string(std::strerror(-looped)));
  return {};
}

} // namespace mount
