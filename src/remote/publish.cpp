#include "remote/publish.hpp"

#include "remote/bucket_layout.hpp"
#include "remote/parallel.hpp"
#include "util/size.hpp"

#include <map>
#include <mutex>
#include <set>

namespace remote {

util::Result<PublishReport> publish_store(store::Store& store, const S3Client& bucket,
                                          const PublishOptions& options,
                                          const std::function<void(const std::string&)>& progress) {
  const auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  PublishReport report;

  // What to publish, credential scopes dropped: the bucket's readers are its audience.
  std::map<std::string, store::HubObject> files;  // by bucket key
  std::map<std::string, store::Exchange> exchanges;
  std::map<std::string, store::Ref> refs;
  std::map<util::Sha256, std::uint64_t> blobs;
  auto index_walk = store.index().for_each_hub_object([&](const store::HubObject& object) {
    const auto key = file_key(object.key.repo_type, object.key.repo_id, object.key.commit, object.key.path);
    files.emplace(key, object);
    blobs[object.blob] = object.size;
  });
  if (!index_walk) return tl::unexpected(index_walk.error());
  index_walk = store.index().for_each_exchange([&](const store::Exchange& exchange) {
    auto copy = exchange;
    copy.key = public_exchange_key(exchange.key);
    // A private answer and a public one under one key: the public one wins.
    const auto key = exchange_object_key(copy.key);
    if (exchanges.count(key) && exchange.key != copy.key) return;
    if (copy.blob) blobs[*copy.blob] = copy.body_size;
    exchanges[key] = std::move(copy);
  });
  if (!index_walk) return tl::unexpected(index_walk.error());
  index_walk = store.index().for_each_ref([&](const store::Ref& ref) {
    const auto key = ref_key(ref.repo_type, ref.repo_id, ref.name);
    auto it = refs.find(key);
    if (it == refs.end() || it->second.learned_at < ref.learned_at) refs.insert_or_assign(key, ref);
  });
  if (!index_walk) return tl::unexpected(index_walk.error());

  // 1. Blobs, skipping those the bucket already holds whole.
  auto listed = bucket.list("blobs/");
  if (!listed) return tl::unexpected(listed.error());
  std::map<std::string, std::uint64_t> present;
  for (const auto& object : *listed) present.emplace(object.key, object.size);
  std::vector<std::pair<util::Sha256, std::uint64_t>> missing;
  for (const auto& [digest, size] : blobs) {
    auto it = present.find(blob_key(digest));
    if (it != present.end() && it->second == size) {
      ++report.blobs_present;
    } else {
      missing.emplace_back(digest, size);
    }
  }
  say("publishing " + std::to_string(missing.size()) + " blobs (" + std::to_string(report.blobs_present) +
      " already in " + bucket.location().to_string() + ")");
  std::mutex report_mutex;
  auto uploaded = run_parallel(missing.size(), options.jobs, [&](std::size_t i) -> util::Result<void> {
    const auto& [digest, size] = missing[i];
    auto pinned = store.blobs().open(digest);  // held while it uploads: no gc removes it
    if (!pinned) return tl::unexpected(pinned.error());
    if (!*pinned) {
      return util::fail(util::Errc::corrupt, "blob " + digest.hex() + " is indexed but missing: run hubcache verify");
    }
    if ((*pinned)->size() != size) {
      return util::fail(util::Errc::corrupt, "blob " + digest.hex() + " has the wrong size: run hubcache verify");
    }
    // A blob of the wrong size in the bucket (a torn upload by a broken tool) is replaced.
    const bool overwrite = present.count(blob_key(digest)) > 0;
    auto put = bucket.put_file(blob_key(digest), store.layout().blob_path(digest), !overwrite);
    if (!put) return tl::unexpected(put.error());
    std::lock_guard lock(report_mutex);
    if (*put == PutOutcome::written) {
      ++report.blobs_written;
      report.bytes_written += size;
      if (size >= (64ull << 20)) say("  " + digest.hex().substr(0, 12) + " " + util::format_size(size));
    } else {
      ++report.blobs_present;
    }
    return {};
  });
  if (!uploaded) return tl::unexpected(uploaded.error());

  // 2. Immutable metadata: files at commits (skipping those there), then recorded answers.
  auto listed_files = bucket.list("meta/files/");
  if (!listed_files) return tl::unexpected(listed_files.error());
  std::set<std::string> files_present;
  for (const auto& object : *listed_files) files_present.insert(object.key);
  // Rows as (key, JSON); files are immutable (conditional), answers replaced whole.
  const auto put_rows = [&](const std::vector<std::pair<std::string, std::string>>& rows,
                            bool if_absent) {
    return run_parallel(rows.size(), options.jobs, [&](std::size_t i) -> util::Result<void> {
      auto put = bucket.put(rows[i].first, rows[i].second, if_absent, "application/json");
      if (!put) return tl::unexpected(put.error());
      return {};
    });
  };
  std::vector<std::pair<std::string, std::string>> file_rows;
  for (const auto& [key, object] : files) {
    if (!files_present.count(key)) file_rows.emplace_back(key, encode_file(object));
  }
  std::vector<std::pair<std::string, std::string>> answer_rows;
  for (const auto& [key, exchange] : exchanges) answer_rows.emplace_back(key, encode_exchange(exchange));
  say("publishing " + std::to_string(file_rows.size()) + " files and " + std::to_string(answer_rows.size()) +
      " recorded answers");
  if (auto wrote = put_rows(file_rows, true); !wrote) return tl::unexpected(wrote.error());
  report.files = files.size();
  if (auto wrote = put_rows(answer_rows, false); !wrote) return tl::unexpected(wrote.error());
  report.exchanges = exchanges.size();

  // 3. Refs, last.
  say("publishing " + std::to_string(refs.size()) + " refs");
  for (const auto& [key, ref] : refs) {
    auto put = bucket.put(key, encode_ref(ref), false, "application/json");
    if (!put) return tl::unexpected(put.error());
    ++report.refs;
  }
  return report;
}

} // namespace remote
