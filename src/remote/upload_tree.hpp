// Uploads a folder to a bucket as it is (keys = relative paths under the prefix): how
// `export --no-symlinks --to s3://…` publishes a plain HF cache for tools that read the
// bucket without hubcache. Refs go last, so a reader never sees a ref before its snapshot.
#pragma once

#include "remote/s3_client.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace remote {

struct UploadReport {
  std::uint64_t files = 0;
  std::uint64_t uploaded = 0;
  std::uint64_t unchanged = 0;  // already in the bucket: a file with the same size, a ref
                                // with the same content
  std::uint64_t bytes = 0;      // uploaded
};

util::Result<UploadReport> upload_tree(const std::filesystem::path& folder, const S3Client& bucket,
                                       int jobs, const std::function<void(const std::string&)>& progress);

} // namespace remote
