#include "cli/remote_options.hpp"

#include "cli/command.hpp"

#include <CLI/CLI.hpp>

namespace cli {

std::string check_s3_url(const std::string& text) {
  // The endpoint and region do not matter here: only the URL's own form is checked.
  auto location = remote::parse_s3_location(text, "http://127.0.0.1", "us-east-1");
  return location ? "" : location.error().message;
}

void add_remote_options(CLI::App& app, RemoteCliOptions& options, const std::string& what_for) {
  app.add_option("--remote", options.remote, what_for)->type_name("s3://BUCKET/PREFIX")->check(check_s3_url);
  add_s3_endpoint_options(app, options);
  add_duration_option(app, "--remote-ttl", options.ttl,
                      "How long a bucket's ref or absence is believed before asking again (default 30s)");
  add_duration_option(app, "--remote-cool-down", options.cool_down,
                      "How long a bucket that failed (unreachable, 5xx) is skipped before asking again "
                      "(default: the --remote-ttl, 30s)");
}

void add_s3_endpoint_options(CLI::App& app, RemoteCliOptions& options) {
  app.add_option("--s3-endpoint", options.s3_endpoint,
                 "The S3 API's URL, path-style (Ceph, MinIO, R2, GCS); default: AWS_ENDPOINT_URL_S3, "
                 "AWS_ENDPOINT_URL, else AWS in AWS_REGION")
      ->type_name("URL")
      ->check([](const std::string& text) -> std::string {
        auto url = upstream::parse_url(text);
        return url ? "" : url.error().message;
      });
  app.add_option("--s3-ca", options.s3_ca, "Trust the CAs in FILE (PEM) for an https --s3-endpoint")
      ->type_name("FILE")
      ->envname("AWS_CA_BUNDLE")
      ->check(CLI::ExistingFile);
}

} // namespace cli
