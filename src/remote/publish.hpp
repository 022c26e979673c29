// The one writer: publishes a store to a hubcache bucket in the order that keeps every
// reader safe (blobs, then immutable metadata, then refs), so a reader never sees a name
// for content not there yet, and a publish stopped half way leaves the old refs in force.
//
// Two publishers at once cannot corrupt the bucket: blobs are named by their sha256 and
// files at a commit are immutable, both written with If-None-Match: * (a conditional write:
// the first copy stays); answers about branches and refs are single objects replaced whole
// (last writer wins), and each names only content its writer had already published.
#pragma once

#include "remote/s3_client.hpp"
#include "store/store.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace remote {

struct PublishOptions {
  int jobs = 4;  // uploads at once
};

struct PublishReport {
  std::uint64_t blobs_written = 0;
  std::uint64_t blobs_present = 0;  // already in the bucket
  std::uint64_t bytes_written = 0;
  std::uint64_t files = 0;
  std::uint64_t exchanges = 0;
  std::uint64_t refs = 0;
};

// `progress(line)`: one line per phase and per large blob. Errors stop the publish before
// its refs: the bucket keeps the refs it had.
util::Result<PublishReport> publish_store(store::Store& store, const S3Client& bucket,
                                          const PublishOptions& options,
                                          const std::function<void(const std::string&)>& progress);

} // namespace remote
