// The HTTP layer's interface, as plain values: what a handler receives and what it answers.
// Beast and Asio stay inside src/http/*.cpp; handlers (cache, hub, proxy) see only this.
#pragma once

#include "util/headers.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace http {

// Whether the client that sent a request is still there, for a handler that waits on its
// behalf (a fetch in flight). The connection watches its socket while the answer is pending
// and marks the client gone when it hangs up; once the answer is being sent, the client's
// interest is the response itself (see GrowingBody). Safe from any thread.
class ClientPresence {
public:
  bool gone() const { return m_gone.load(std::memory_order_relaxed); }
  void mark_gone() { m_gone.store(true, std::memory_order_relaxed); }

private:
  std::atomic<bool> m_gone{false};
};

struct Request {
  std::string method;
  std::string target;  // as sent: "/a%2Fb?x=1" (origin-form) or absolute-form
  util::Headers headers;
  std::string body;
  std::string peer;  // "127.0.0.1:54321"
  // The origin the client addressed when a proxy handler rewrote an absolute-form target to
  // origin-form ("https://huggingface.co"); empty when the client addressed hubcache itself.
  std::string addressed_origin;
  // Set by the connection; null (a request made in-process) counts as always there.
  std::shared_ptr<const ClientPresence> presence;

  std::optional<std::string> header(std::string_view name) const {
    return util::find_header(headers, name);
  }
};

// A body read from an open file (a stored blob): sent with sendfile, Range-aware.
struct FileBody {
  int fd = -1;
  std::uint64_t size = 0;
  std::shared_ptr<const void> owner;  // keeps `fd` open (and the blob pinned) while sending
};

// A body still being written by someone else (a fetch in flight), followed as it grows.
// Implementations are safe from any thread. The server holds the object while it sends the
// body and drops it as soon as it stops (done, failed, or the client hung up): its lifetime
// is the client's interest in the body.
class GrowingBody {
public:
  struct State {
    std::uint64_t available = 0;  // bytes that may be sent now
    bool complete = false;        // `available` is the whole body
    bool failed = false;          // the body will never be whole: abort the connection
    std::optional<std::uint64_t> total;  // the full length, when announced
    friend bool operator==(const State&, const State&) = default;
  };
  virtual ~GrowingBody() = default;
  virtual int fd() const = 0;  // read with pread; valid while this object lives
  virtual State state() const = 0;
  // Calls `wake` once, from any thread, as soon as state() differs from `seen` (at once if
  // it already does).
  virtual void when_changed(const State& seen, std::function<void()> wake) = 0;
  // Milliseconds the upstream took, once known; for the access log.
  virtual std::optional<std::int64_t> upstream_ms() const = 0;
  // The cache result once the body is whole, where it differs from the one the head went out
  // with: an answer sent as "stored" that could not be recorded after all (a full disk, a
  // client that vouched against it) is logged and counted as what it was.
  virtual std::optional<std::string> final_cache() const { return std::nullopt; }
};

struct Response {
  int status = 200;
  util::Headers headers;  // Content-Length and framing are the server's business
  std::variant<std::monostate, std::string, FileBody, std::shared_ptr<GrowingBody>> body;
  std::string cache;  // X-Hubcache value and access-log field: hit|stored|miss|stale|optional, "" if none
  std::optional<std::int64_t> upstream_ms;
  // A side request no test depends on (cache/side_requests): what it is ("datasets' download
  // counter"). A run never counts it as a miss; `cache` is "optional" when replay made it up.
  std::string optional;

  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

// Answers a request exactly once, from any thread.
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request, Respond)>;

// One line of the access log, written when a response has been sent (or aborted).
struct AccessRecord {
  std::int64_t ts = 0;  // Unix ms when the request arrived
  std::string method;
  std::string url;
  int status = 0;
  std::string cache;
  std::uint64_t bytes = 0;  // body bytes sent
  std::string source;       // where the body came from: "store", "upstream" or "generated"
  std::int64_t ms = 0;
  std::optional<std::int64_t> upstream_ms;
  bool aborted = false;  // the body was cut short on purpose (upstream broke)
  std::string optional;  // Response::optional
};

} // namespace http
