#include "remote/upload_tree.hpp"

#include "remote/parallel.hpp"
#include "util/file.hpp"

#include <map>
#include <mutex>
#include <vector>

namespace remote {
namespace {

bool is_ref(const std::string& key) {
  // "models--org--name/refs/main": the second path part.
  const auto first = key.find('/');
  return first != std::string::npos && key.compare(first + 1, 5, "refs/") == 0;
}

} // namespace

util::Result<UploadReport> upload_tree(const std::filesystem::path& folder, const S3Client& bucket,
                                       int jobs, const std::function<void(const std::string&)>& progress) {
  std::vector<std::pair<std::string, std::uint64_t>> files;  // key, size
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    files.emplace_back(std::filesystem::relative(it->path(), folder).generic_string(), it->file_size(ec));
  }
  if (ec) return util::fail(util::Errc::io, "cannot walk " + folder.string() + ": " + ec.message());
  auto listed = bucket.list("");
  if (!listed) return tl::unexpected(listed.error());
  std::map<std::string, std::uint64_t> present;
  for (const auto& object : *listed) present.emplace(object.key, object.size);

  UploadReport report;
  report.files = files.size();
  std::mutex mutex;
  for (const bool refs : {false, true}) {
    std::vector<std::pair<std::string, std::uint64_t>> batch;
    // Refs the bucket holds with the same size: a moved ref has the same size (40 hex digits),
    // so these are read and compared before anything is written.
    std::vector<bool> compare;
    for (const auto& file : files) {
      if (is_ref(file.first) != refs) continue;
      auto it = present.find(file.first);
      const bool same_size = it != present.end() && it->second == file.second;
      // Snapshot files are immutable: the same key and size is the same file.
      if (!refs && same_size) {
        ++report.unchanged;
        continue;
      }
      batch.push_back(file);
      compare.push_back(same_size);
    }
    auto uploaded = run_parallel(batch.size(), jobs, [&](std::size_t i) -> util::Result<void> {
      // An unchanged ref is not written again (issue 15): a reader polling the bucket, or a
      // sync tool comparing times, sees nothing move when nothing did.
      if (compare[i]) {
        auto ours = util::read_small_file(folder / batch[i].first);
        if (!ours) return tl::unexpected(ours.error());
        auto theirs = bucket.get(batch[i].first, batch[i].second);
        if (theirs && *theirs && **theirs == *ours) {
          std::lock_guard lock(mutex);
          ++report.unchanged;
          return {};
        }
      }
      auto put = bucket.put_file(batch[i].first, folder / batch[i].first, false);
      if (!put) return tl::unexpected(put.error());
      std::lock_guard lock(mutex);
      ++report.uploaded;
      report.bytes += batch[i].second;
      if (progress && batch[i].second >= (64ull << 20)) progress("  uploaded " + batch[i].first);
      return {};
    });
    if (!uploaded) return tl::unexpected(uploaded.error());
  }
  return report;
}

} // namespace remote
