#include "remote/credential_sources.hpp"

#include "remote/aws_endpoints.hpp"
#include "remote/xml_elements.hpp"
#include "upstream/url.hpp"
#include "util/percent.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace remote {
namespace {

using namespace std::chrono_literals;

// A credential service's client: the one retry policy with quick waits, no proxy (these are
// link-local or loopback services, or STS), tight timeouts.
upstream::HttpClient service_client(const CredentialHttp& http, std::chrono::milliseconds timeout,
                                    int retries) {
  upstream::HttpOptions options;
  options.connect_timeout = timeout;
  options.timeout = timeout;
  upstream::RetryPolicy retry;
  retry.max_retries = retries;
  retry.floor = 100ms;
  retry.ceiling = 1000ms;
  retry.retry_internal_error = true;
  return upstream::HttpClient(options, retry, http.stop, http.transferer);
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// A status that is not the answer wanted, without the body (it may echo what was sent),
// except an STS error's Code and Message.
util::Error refused(const std::string& what, int status, const std::string& detail = {}) {
  return {status >= 500 ? util::Errc::upstream_unreachable : util::Errc::upstream_status,
          what + ": " + std::to_string(status) + (detail.empty() ? "" : " " + detail)};
}

util::Error in_context(const util::Error& error, const std::string& what) {
  return util::with_context(error, what);
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  unsigned a = 0, b = 0, c = 0, d = 0;
  char extra = 0;
  return std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 &&
         b < 256 && c < 256 && d < 256;
}

constexpr std::size_t k_answer_limit = 64 << 10;

} // namespace

std::optional<util::UnixMillis> parse_iso8601(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, used = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &used) != 6) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(static_cast<std::size_t>(used));
  util::UnixMillis millis = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) millis = millis * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    for (int i = digits; i < 3; ++i)
      millis *= 10;
  }
  util::UnixMillis offset = 0;
  if (rest == "Z" || rest == "z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const int hours = std::atoi(std::string(rest.substr(1, 2)).c_str());
    const int minutes = std::atoi(std::string(rest.substr(4, 2)).c_str());
    offset = (rest[0] == '+' ? 1 : -1) * (hours * 60 + minutes) * 60'000LL;
  } else {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<util::UnixMillis>(timegm(&tm)) * 1000 + millis - offset;
}

util::Result<AwsCredentials> parse_sts_credentials(std::string_view xml) {
  const auto credentials = xml_element(xml, "Credentials");
  if (!credentials) return util::fail(util::Errc::corrupt, "no Credentials in the STS answer");
  AwsCredentials out;
  out.access_key = xml_element(*credentials, "AccessKeyId").value_or("");
  out.secret_key = xml_element(*credentials, "SecretAccessKey").value_or("");
  out.session_token = xml_element(*credentials, "SessionToken").value_or("");
  if (out.access_key.empty() || out.secret_key.empty()) {
    return util::fail(util::Errc::corrupt, "the STS answer lacks AccessKeyId or SecretAccessKey");
  }
  if (auto expiration = xml_element(*credentials, "Expiration")) {
    out.expiration = parse_iso8601(*expiration);
    if (!out.expiration)
      return util::fail(util::Errc::corrupt, "the STS answer's Expiration is not a time");
  }
  return out;
}

util::Result<AwsCredentials> parse_json_credentials(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return util::fail(util::Errc::corrupt, "not a JSON object");
  const auto text = [&](const char* name) {
    const auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (const auto code = text("Code"); !code.empty() && code != "Success") {
    return util::fail(util::Errc::upstream_status, "Code " + code);
  }
  AwsCredentials out;
  out.access_key = text("AccessKeyId");
  out.secret_key = text("SecretAccessKey");
  out.session_token = text("Token");
  if (out.session_token.empty()) out.session_token = text("SessionToken");
  if (out.access_key.empty() || out.secret_key.empty()) {
    return util::fail(util::Errc::corrupt, "the answer lacks AccessKeyId or SecretAccessKey");
  }
  if (const auto expiration = text("Expiration"); !expiration.empty()) {
    out.expiration = parse_iso8601(expiration);
    if (!out.expiration)
      return util::fail(util::Errc::corrupt, "the answer's Expiration is not a time");
  }
  return out;
}

util::Result<AwsCredentials> web_identity_credentials(const Environment& env,
                                                      const CredentialHttp& http) {
  const std::string role = env_value(env, "AWS_ROLE_ARN");
  const std::string token_file = env_value(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  const std::string what = "STS AssumeRoleWithWebIdentity at " + sts_endpoint(env);
  const auto token = read_small_file(token_file);
  if (!token)
    return util::fail(util::Errc::io, "cannot read AWS_WEB_IDENTITY_TOKEN_FILE " + token_file);
  std::string session = env_value(env, "AWS_ROLE_SESSION_NAME");
  if (session.empty()) session = "hubcache-" + std::to_string(util::SystemClock::instance().now());
  const std::string form =
      "Action=AssumeRoleWithWebIdentity&RoleArn=" + util::percent_encode(role) +
      "&RoleSessionName=" + util::percent_encode(session) +
      "&Version=2011-06-15&WebIdentityToken=" + util::percent_encode(trim(*token));
  upstream::HttpRequest request;
  request.method = "POST";
  request.url = sts_endpoint(env) + "/";
  request.body = form;
  request.headers.emplace_back("Accept", "text/xml");
  request.idempotent_post = true; // it only reads: the SDKs retry it too
  auto response = service_client(http, 10s, 2).send(request, k_answer_limit);
  if (!response) return tl::unexpected(in_context(response.error(), what));
  if (response->status != 200) {
    std::string detail = xml_element(response->body, "Code").value_or("");
    if (auto message = xml_element(response->body, "Message"); message && !detail.empty())
      detail += ": " + *message;
    return tl::unexpected(refused(what, response->status, detail));
  }
  auto credentials = parse_sts_credentials(response->body);
  if (!credentials) return tl::unexpected(in_context(credentials.error(), what));
  credentials->source = "web identity role " + role;
  return credentials;
}

util::Result<std::optional<std::string>> container_credentials_url(const Environment& env) {
  if (auto relative = env_value(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); !relative.empty()) {
    return "http://169.254.170.2" + (relative.front() == '/' ? relative : "/" + relative);
  }
  const std::string full = env_value(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (full.empty()) return std::nullopt;
  auto url = upstream::parse_url(full);
  if (!url)
    return util::fail(util::Errc::invalid_argument,
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI: " + url.error().message);
  // The SDKs send the authorization token over plain http only to the local agents.
  const bool allowed = url->scheme == "https" || is_loopback(url->host) ||
                       url->host == "169.254.170.2" || url->host == "169.254.170.23" ||
                       url->host == "fd00:ec2::23";
  if (!allowed) {
    return util::fail(
        util::Errc::invalid_argument,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback address or "
        "to 169.254.170.2, 169.254.170.23 or fd00:ec2::23 (it names " +
            url->host + ")");
  }
  return full;
}

util::Result<AwsCredentials> container_credentials(const Environment& env,
                                                   const CredentialHttp& http) {
  auto url = container_credentials_url(env);
  if (!url) return tl::unexpected(url.error());
  if (!*url)
    return util::fail(util::Errc::invalid_argument, "no container credentials endpoint is set");
  const std::string what = "the container credentials endpoint";
  upstream::HttpRequest request;
  request.url = **url;
  std::string authorization = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  if (const auto file = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
    auto text = read_small_file(file);
    if (!text)
      return util::fail(util::Errc::io,
                        "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + file);
    authorization = trim(*text);
  }
  if (authorization.find_first_of("\r\n") != std::string::npos) {
    return util::fail(util::Errc::invalid_argument,
                      "the container authorization token holds a line break");
  }
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
  request.headers.emplace_back("Accept", "application/json");
  auto response = service_client(http, 2s, 2).send(request, k_answer_limit);
  if (!response) return tl::unexpected(in_context(response.error(), what));
  if (response->status != 200) return tl::unexpected(refused(what, response->status));
  auto credentials = parse_json_credentials(response->body);
  if (!credentials) return tl::unexpected(in_context(credentials.error(), what));
  credentials->source = "container credentials";
  return credentials;
}

util::Result<std::optional<AwsCredentials>>
instance_profile_credentials(const Environment& env, const CredentialHttp& http) {
  const std::string base = imds_endpoint(env);
  const auto client = service_client(http, 1s, 1);
  upstream::HttpRequest token_request;
  token_request.method = "PUT";
  token_request.url = base + "/latest/api/token";
  token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
  auto token = client.send(token_request, 4096);
  if (!token) {
    // Nothing answers: not on EC2 (or the hop limit keeps the answer from this container).
    if (token.error().code == util::Errc::upstream_unreachable ||
        token.error().code == util::Errc::timeout) {
      return std::nullopt;
    }
    return tl::unexpected(in_context(token.error(), "the instance metadata service at " + base));
  }
  if (token->status != 200)
    return tl::unexpected(refused("the instance metadata token at " + base, token->status));

  const std::string credentials_path = base + "/latest/meta-data/iam/security-credentials/";
  upstream::HttpRequest list;
  list.url = credentials_path;
  list.headers.emplace_back("X-aws-ec2-metadata-token", trim(token->body));
  auto roles = client.send(list, 4096);
  if (!roles)
    return tl::unexpected(in_context(roles.error(), "the instance metadata service at " + base));
  if (roles->status == 404) return std::nullopt; // an instance without a role
  if (roles->status != 200)
    return tl::unexpected(refused("the instance's roles at " + base, roles->status));
  const std::string role = trim(roles->body.substr(0, roles->body.find('\n')));
  if (role.empty()) return std::nullopt;
  if (role.find_first_of("/?#%") != std::string::npos) {
    return util::fail(util::Errc::corrupt,
                      "the instance metadata service names a role that is no name");
  }

  upstream::HttpRequest get = list;
  get.url = credentials_path + role;
  auto answer = client.send(get, k_answer_limit);
  const std::string what = "instance profile " + role;
  if (!answer) return tl::unexpected(in_context(answer.error(), what));
  if (answer->status != 200) return tl::unexpected(refused(what, answer->status));
  auto credentials = parse_json_credentials(answer->body);
  if (!credentials) return tl::unexpected(in_context(credentials.error(), what));
  credentials->source = what;
  return std::optional<AwsCredentials>(std::move(*credentials));
}

util::Result<AwsCredentials> process_credentials(const std::string& command,
                                                 const std::string& source) {
  const std::string what = source + " (credential_process)";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return util::fail_errno("cannot run the credential_process of " + source);
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    if (output.size() < k_answer_limit) output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  // Its output is never quoted: it holds the secret.
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return util::fail(util::Errc::upstream_status,
                      what + " failed (exit status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  auto credentials = parse_json_credentials(output);
  if (!credentials) return tl::unexpected(in_context(credentials.error(), what));
  credentials->source = what;
  return credentials;
}

} // namespace remote
