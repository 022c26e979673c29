// The flags that attach a remote tier (--remote, --s3-endpoint, --s3-ca, --remote-ttl,
// --remote-cool-down), shared by serve, run, mount and preload.
#pragma once

#include "remote/remote_tier.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace cli {

struct RemoteCliOptions {
  std::string remote;       // s3://BUCKET/PREFIX; empty: no remote tier
  std::string s3_endpoint;  // empty: AWS
  std::string s3_ca;
  std::chrono::milliseconds ttl{30'000};
  // Negative: not given, the --remote-ttl then (30 s by default). A bucket believed down is a
  // belief about the bucket like its refs and absences: --remote-ttl 0s believes none of them.
  std::chrono::milliseconds cool_down{-1};

  remote::RemoteOptions tier() const {
    return {remote, s3_endpoint, s3_ca, ttl, cool_down.count() < 0 ? ttl : cool_down};
  }
};

// `what_for`: the help text of --remote.
void add_remote_options(CLI::App& app, RemoteCliOptions& options, const std::string& what_for);
// Only --s3-endpoint and --s3-ca, for a command that names its bucket another way.
void add_s3_endpoint_options(CLI::App& app, RemoteCliOptions& options);
// A CLI11 check for an s3://BUCKET/PREFIX value: "" if good, else the reason.
std::string check_s3_url(const std::string& text);

} // namespace cli
