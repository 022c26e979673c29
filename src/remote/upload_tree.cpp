#include "remote/upload_tree.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
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
    std::atomic<std::size_t> next{0};
    std::optional<util::Error> first;
    const auto work = [&] {
      for (;;) {
        const std::size_t i = next.fetch_add(1);
        if (i >= batch.size()) return;
        {
          std::lock_guard lock(mutex);
          if (first) return;
        }
        auto put = bucket.put_file(batch[i].first, folder / batch[i].first, false);
        std::lock_guard lock(mutex);
        if (!put) {
          if (!first) first = put.error();
          return;
        }
        ++report.uploaded;
        report.bytes += batch[i].second;
        if (progress && batch[i].second >= (64ull << 20)) progress("  uploaded " + batch[i].first);
      }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < std::max(1, jobs); ++t) threads.emplace_back(work);
    work();
    for (auto& thread : threads) thread.join();
    if (first) return tl::unexpected(*first);
  }
  return report;
}

} // namespace remote
