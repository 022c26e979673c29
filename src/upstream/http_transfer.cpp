#include "upstream/http_transfer.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include <curl/curl.h>

namespace upstream {

namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What the callbacks of one transfer share.
struct Call {
  const HttpRequest* request = nullptr;
  TransferHooks* hooks = nullptr;
  std::size_t body_at = 0;  // of request->body, for an upload
  bool aborted = false;
};

int parse_status(std::string_view line) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  int status = 0;
  for (char c : line.substr(space + 1, 3)) {
    if (c < '0' || c > '9') return 0;
    status = status * 10 + (c - '0');
  }
  return status;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& call = *static_cast<Call*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    call.hooks->on_status_line(parse_status(line));
    return n;
  }
  if (line.empty()) {
    if (call.hooks->on_end_of_headers()) return n;
    call.aborted = true;
    return 0;
  }
  if (auto header = util::parse_header_line(line)) call.hooks->on_header(std::move(*header));
  return n;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto& call = *static_cast<Call*>(user);
  const std::size_t n = size * count;
  if (call.hooks->on_body({reinterpret_cast<const std::uint8_t*>(data), n})) return n;
  call.aborted = true;
  return 0;
}

std::size_t on_read(char* out, std::size_t size, std::size_t count, void* user) {
  auto& call = *static_cast<Call*>(user);
  const std::size_t room = size * count;
  if (call.request->body_file) return std::fread(out, 1, room, call.request->body_file);
  const std::size_t take = std::min(room, call.request->body.size() - call.body_at);
  std::memcpy(out, call.request->body.data() + call.body_at, take);
  call.body_at += take;
  return take;
}

int on_progress(void* user, curl_off_t, curl_off_t received, curl_off_t, curl_off_t) {
  auto& call = *static_cast<Call*>(user);
  if (call.hooks->on_progress(static_cast<std::uint64_t>(std::max<curl_off_t>(received, 0)))) return 0;
  call.aborted = true;
  return 1;
}

} // namespace

void global_init() { curl_global_init(CURL_GLOBAL_DEFAULT); }

util::Result<TransferOutcome> transfer(const HttpOptions& options, const HttpRequest& request,
                                       TransferHooks& hooks) {
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return util::fail(util::Errc::io, "cannot create a curl handle");
  CURL* e = easy.get();
  Call call;
  call.request = &request;
  call.hooks = &hooks;

  curl_slist* raw = nullptr;
  for (const auto& [name, value] : request.headers) {
    raw = curl_slist_append(raw, (name + ": " + value).c_str());
  }
  if (request.aws_sigv4) {
    // curl 7.88 signs this header's value as the payload hash but does not add it itself.
    raw = curl_slist_append(raw, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (!request.aws_sigv4->session_token.empty()) {
      raw = curl_slist_append(raw, ("x-amz-security-token: " + request.aws_sigv4->session_token).c_str());
    }
  }
  std::unique_ptr<curl_slist, ListDeleter> header_list(raw);

  char error_detail[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_detail);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are the caller's to judge
  // An empty CURLOPT_PROXY turns proxies off, environment variables included.
  curl_easy_setopt(e, CURLOPT_PROXY, options.proxy.c_str());
  curl_easy_setopt(e, CURLOPT_NOPROXY, options.proxy.empty() ? "*" : "");
  if (!options.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
  if (options.connect_timeout.count() > 0) {
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  }
  if (options.timeout.count() > 0) {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  }
  if (options.buffer_size > 0) curl_easy_setopt(e, CURLOPT_BUFFERSIZE, options.buffer_size);
  if (options.tcp_keepalive) curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  if (request.aws_sigv4) {
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, request.aws_sigv4->provider.c_str());
    curl_easy_setopt(e, CURLOPT_USERNAME, request.aws_sigv4->access_key.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, request.aws_sigv4->secret_key.c_str());
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "PUT") {
    // An upload through a read callback: no form Content-Type (moto would store 0 bytes).
    if (request.body_file) std::rewind(request.body_file);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(request.body_file ? request.body_size : request.body.size()));
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, &call);
  } else if (request.method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &call);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &call);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, &call);

  const CURLcode code = curl_easy_perform(e);
  TransferOutcome outcome;
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  outcome.status = static_cast<int>(status);
  outcome.complete = code == CURLE_OK;
  outcome.timed_out = code == CURLE_OPERATION_TIMEDOUT;
  outcome.aborted = call.aborted;
  if (code != CURLE_OK) {
    outcome.error = curl_easy_strerror(code);
    if (error_detail[0]) outcome.error += std::string(" (") + error_detail + ")";
    outcome.detail = error_detail[0] ? error_detail : curl_easy_strerror(code);
  }
  return outcome;
}

} // namespace upstream
