#include "remote/s3_client.hpp"

#include "remote/xml_elements.hpp"
#include "util/headers.hpp"
#include "util/percent.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

namespace remote {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

// The one retry policy, tuned for a bucket: a few quick tries (S3's 500 InternalError and
// 503 SlowDown included), so a node that lost its bucket falls back to the upstream soon.
upstream::RetryPolicy bucket_retries(const S3Options& options) {
  upstream::RetryPolicy policy;
  policy.max_retries = options.retries;
  policy.floor = std::chrono::milliseconds(100);
  policy.ceiling = std::chrono::milliseconds(2000);
  policy.retry_internal_error = true;
  return policy;
}

upstream::HttpOptions bucket_http(const S3Options& options) {
  upstream::HttpOptions http;
  http.ca_file = options.ca_file;
  http.connect_timeout = options.connect_timeout;
  http.timeout = options.timeout;
  return http;
}

} // namespace

std::string S3Location::to_string() const {
  return "s3://" + bucket + "/" + prefix;
}

util::Result<S3Location> parse_s3_location(std::string_view url, std::string_view endpoint,
                                           const std::string& region) {
  constexpr std::string_view scheme = "s3://";
  if (url.substr(0, scheme.size()) != scheme) {
    return util::fail(util::Errc::invalid_argument,
                      "not an S3 URL: " + std::string(url) + " (want s3://BUCKET/PREFIX)");
  }
  S3Location out;
  auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.prefix = std::string(rest.substr(slash + 1));
  if (out.bucket.size() < 3 || out.bucket.size() > 63 ||
      out.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
    return util::fail(util::Errc::invalid_argument,
                      "bad bucket name in " + std::string(url) +
                          ": 3 to 63 characters of a-z, 0-9, '.' and '-'");
  }
  while (!out.prefix.empty() && out.prefix.front() == '/') out.prefix.erase(0, 1);
  if (!out.prefix.empty() && out.prefix.back() != '/') out.prefix += '/';
  const std::string endpoint_text =
      endpoint.empty() ? "https://s3." + region + ".amazonaws.com" : std::string(endpoint);
  auto parsed = upstream::parse_url(endpoint_text);
  if (!parsed) {
    return util::fail(util::Errc::invalid_argument, "bad --s3-endpoint " + endpoint_text + ": " +
                                                        parsed.error().message);
  }
  out.endpoint = *parsed;
  out.endpoint.path = "/";
  out.endpoint.query.clear();
  return out;
}

util::Result<ListPage> parse_list_page(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return util::fail(util::Errc::corrupt, "not a ListObjectsV2 answer");
  }
  ListPage page;
  for (const auto inner : xml_raw_elements(xml, "Contents")) {
    S3Object object;
    object.key = xml_element(inner, "Key").value_or("");
    object.size = std::strtoull(xml_element(inner, "Size").value_or("0").c_str(), nullptr, 10);
    object.etag = unquote(xml_element(inner, "ETag").value_or(""));
    page.objects.push_back(std::move(object));
  }
  for (const auto inner : xml_raw_elements(xml, "CommonPrefixes")) {
    if (auto prefix = xml_element(inner, "Prefix")) page.folders.push_back(*prefix);
  }
  if (xml_element(xml, "IsTruncated").value_or("false") == "true") {
    page.next_token = xml_element(xml, "NextContinuationToken");
    if (!page.next_token) return util::fail(util::Errc::corrupt, "a truncated listing without a continuation token");
  }
  return page;
}

std::string s3_error_text(std::string_view xml) {
  const auto code = xml_element(xml, "Code");
  if (!code) return {};
  const auto message = xml_element(xml, "Message");
  return *code + (message && !message->empty() ? ": " + *message : "");
}

// One request: what to send and where the answer goes.
struct S3Client::Call {
  std::string method = "GET";
  std::string key;    // relative; "" for the bucket itself
  std::string query;  // canonical: sorted, encoded
  util::Headers headers;
  // Request body: `body`, or `file` of `file_size` bytes.
  std::string_view body;
  std::FILE* file = nullptr;
  std::uint64_t file_size = 0;
  // Response.
  std::uint64_t limit = 64ull << 20;
  const upstream::BodySink* sink = nullptr;
  upstream::HttpResponse response;
  std::string credential_source;  // of the credentials that signed it, for a 403's message
};

S3Client::S3Client(S3Location location, AwsCredentials credentials, S3Options options)
    : S3Client(std::move(location), CredentialProvider::fixed(credentials), credentials.region,
               std::move(options)) {}

S3Client::S3Client(S3Location location, std::shared_ptr<CredentialProvider> credentials,
                   const std::string& region, S3Options options)
    : m_location(std::move(location)), m_credentials(std::move(credentials)),
      m_options(std::move(options)), m_provider("aws:amz:" + region + ":s3"),
      m_http(bucket_http(m_options), bucket_retries(m_options), m_options.stop) {}

std::string S3Client::url_of(const std::string& key) const { return m_location.to_string() + key; }

upstream::FetchRequest S3Client::fetch_request(const std::string& key) const {
  upstream::FetchRequest request;
  request.url = m_location.endpoint;
  request.url.path = "/" + m_location.bucket + "/" + util::percent_encode(m_location.prefix + key, true);
  // The provider outlives the request: a fill may outlast the client's caller, not the keys.
  auto signing = [credentials = m_credentials, provider = m_provider]() -> std::optional<upstream::AwsSigning> {
    auto current = credentials->current();
    const auto keys = current ? std::optional<AwsCredentials>(std::move(*current)) : credentials->last();
    if (!keys || keys->anonymous()) return std::nullopt;
    return upstream::AwsSigning{provider, keys->access_key, keys->secret_key, keys->session_token};
  };
  request.aws_sigv4 = signing();
  request.aws_sigv4_renewed = std::move(signing);
  return request;
}

util::Result<long> S3Client::perform(Call& call) const {
  upstream::Url url = m_location.endpoint;
  url.path = "/" + m_location.bucket + "/" +
             (call.key.empty() ? std::string() : util::percent_encode(m_location.prefix + call.key, true));
  url.query = call.query;
  upstream::HttpRequest request;
  request.method = call.method;
  request.url = url.to_string();
  request.headers = call.headers;
  request.body = call.body;
  request.body_file = call.file;
  request.body_size = call.file_size;
  auto credentials = m_credentials->current();
  if (!credentials) {
    return tl::unexpected(util::Error{credentials.error().code,
                                      call.method + " " + url_of(call.key) + ": " + credentials.error().message});
  }
  call.credential_source = credentials->source;
  if (credentials->anonymous()) {
    request.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  } else {
    request.aws_sigv4 = upstream::AwsSigning{m_provider, credentials->access_key, credentials->secret_key,
                                             credentials->session_token};
  }
  auto response = m_http.send(request, call.limit, call.sink);
  if (!response) {
    return tl::unexpected(util::Error{response.error().code,
                                      call.method + " " + url_of(call.key) + ": " + response.error().message});
  }
  call.response = std::move(*response);
  return call.response.status;
}

namespace {

// One line about an answer that is not the one wanted.
util::Error status_error(const std::string& what, long status, const std::string& body,
                         const std::string& credential_source) {
  std::string text = what + ": " + std::to_string(status);
  if (const auto reason = s3_error_text(body); !reason.empty()) text += " " + reason;
  if (status == 403) text += " (credentials: " + credential_source + ")";
  // A 5xx after the retries: the bucket is not serving, as if it could not be reached.
  return {status >= 500 ? util::Errc::upstream_unreachable : util::Errc::upstream_status, text};
}

} // namespace

util::Result<std::optional<std::string>> S3Client::get(const std::string& key, std::uint64_t limit) const {
  Call call;
  call.key = key;
  call.limit = limit;
  auto status = perform(call);
  if (!status) return tl::unexpected(status.error());
  if (*status == 404) return std::nullopt;
  if (*status != 200) return tl::unexpected(status_error("GET " + url_of(key), *status, call.response.body, call.credential_source));
  return std::move(call.response.body);
}

util::Result<bool> S3Client::get_to(
    const std::string& key,
    const std::function<util::Result<void>(std::span<const std::uint8_t>)>& sink) const {
  Call call;
  call.key = key;
  call.sink = &sink;
  auto status = perform(call);
  if (!status) return tl::unexpected(status.error());
  if (*status == 404) return false;
  if (*status != 200) return tl::unexpected(status_error("GET " + url_of(key), *status, call.response.body, call.credential_source));
  return true;
}

util::Result<std::size_t> S3Client::get_range(const std::string& key, std::uint64_t offset,
                                              std::span<std::uint8_t> out) const {
  if (out.empty()) return 0;
  Call call;
  call.key = key;
  call.limit = out.size();
  call.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-" +
                                         std::to_string(offset + out.size() - 1));
  auto status = perform(call);
  if (!status) return tl::unexpected(status.error());
  if (*status == 404) return util::fail(util::Errc::invalid_argument, "GET " + url_of(key) + ": no such object");
  if (*status == 416) return 0;
  if (*status != 206) {
    return tl::unexpected(status_error("GET " + url_of(key) + " (range)", *status, call.response.body, call.credential_source));
  }
  std::memcpy(out.data(), call.response.body.data(), call.response.body.size());
  return call.response.body.size();
}

util::Result<std::optional<S3Object>> S3Client::head(const std::string& key) const {
  Call call;
  call.method = "HEAD";
  call.key = key;
  auto status = perform(call);
  if (!status) return tl::unexpected(status.error());
  if (*status == 404) return std::nullopt;
  if (*status != 200) return tl::unexpected(status_error("HEAD " + url_of(key), *status, {}, call.credential_source));
  S3Object object;
  object.key = key;
  object.size = std::strtoull(util::find_header(call.response.headers, "Content-Length").value_or("0").c_str(), nullptr, 10);
  object.etag = unquote(util::find_header(call.response.headers, "ETag").value_or(""));
  return object;
}

util::Result<PutOutcome> S3Client::put(const std::string& key, std::string_view bytes, bool if_absent,
                                       const std::string& content_type) const {
  Call call;
  call.key = key;
  call.body = bytes;
  return put_call(call, if_absent, content_type);
}

util::Result<PutOutcome> S3Client::put_call(Call& call, bool if_absent, const std::string& content_type) const {
  call.method = "PUT";
  call.headers.emplace_back("Content-Type", content_type);
  if (if_absent) call.headers.emplace_back("If-None-Match", "*");
  auto status = perform(call);
  if (!status) return tl::unexpected(status.error());
  if (*status == 412) return PutOutcome::already_there;
  if (*status != 200) {
    return tl::unexpected(status_error("PUT " + url_of(call.key), *status, call.response.body, call.credential_source));
  }
  return PutOutcome::written;
}

util::Result<PutOutcome> S3Client::put_file(const std::string& key, const std::filesystem::path& file,
                                            bool if_absent) const {
  std::unique_ptr<std::FILE, FileCloser> in(std::fopen(file.c_str(), "rb"));
  if (!in) return util::fail_errno("cannot read " + file.string());
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return util::fail(util::Errc::io, "cannot read " + file.string() + ": " + ec.message());
  Call call;
  call.key = key;
  call.file = in.get();
  call.file_size = size;
  return put_call(call, if_absent, "application/octet-stream");
}

util::Result<std::string> S3Client::list_page(const std::string& query) const {
  Call call;
  call.query = query;
  auto status = perform(call);
  if (!status) return tl::unexpected(status.error());
  if (*status != 200) {
    return tl::unexpected(status_error("LIST " + m_location.to_string(), *status, call.response.body, call.credential_source));
  }
  return std::move(call.response.body);
}

namespace {

// ListObjectsV2's query in SigV4's canonical form: names sorted, values encoded with '/'
// as %2F (curl 7.88 signs the query exactly as given).
std::string list_query(const std::optional<std::string>& token, const std::string& prefix) {
  std::string query;
  if (token) query += "continuation-token=" + util::percent_encode(*token) + "&";
  query += "list-type=2&prefix=" + util::percent_encode(prefix);
  return query;
}

} // namespace

util::Result<void> S3Client::probe() const {
  auto page = list_page("list-type=2&max-keys=1&prefix=" + util::percent_encode(m_location.prefix));
  if (!page) return tl::unexpected(page.error());
  return {};
}

util::Result<std::vector<S3Object>> S3Client::list(const std::string& prefix) const {
  std::vector<S3Object> out;
  std::optional<std::string> token;
  do {
    auto xml = list_page(list_query(token, m_location.prefix + prefix));
    if (!xml) return tl::unexpected(xml.error());
    auto page = parse_list_page(*xml);
    if (!page) return tl::unexpected(util::with_context(page.error(), "LIST " + url_of(prefix)));
    for (auto& object : page->objects) {
      if (object.key.rfind(m_location.prefix, 0) != 0) continue;
      object.key.erase(0, m_location.prefix.size());
      out.push_back(std::move(object));
    }
    token = page->next_token;
  } while (token);
  return out;
}

} // namespace remote
