#include "remote/upload_tree.hpp"

#include "remote/parallel.hpp"

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
    for (const auto& file : files) {
      if (is_ref(file.first) != refs) continue;
      auto it = present.find(file.first);
      // A ref is small and may have moved: always written. Snapshot files are immutable.
      if (!refs && it != present.end() && it->second == file.second) {
        ++report.unchanged;
        continue;
      }
      batch.push_back(file);
    }
    auto uploaded = run_parallel(batch.size(), jobs, [&](std::size_t i) -> util::Result<void> {
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
