// The HTTP server end to end over a loopback socket: what it does with handlers that throw
// and with headers it must not write (issue 14, findings 1 and 3).
#include "http/router.hpp"
#include "http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

// Sends `request` on a fresh connection and reads until the server closes it (or 5 s pass).
std::string exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// A server on a free loopback port, running on its own thread until destroyed.
class TestServer {
public:
  explicit TestServer(http::Router& router) {
    http::ServerOptions options;
    options.notice = [this](const std::string& line) {
      std::lock_guard lock(m_mutex);
      m_notices.push_back(line);
    };
    m_server = std::make_unique<http::Server>(options, router, m_metrics, nullptr);
    auto port = m_server->listen(false);
    EXPECT_TRUE(port);
    m_port = port ? *port : 0;
    m_thread = std::thread([this] { m_server->run({}); });
  }
  ~TestServer() {
    m_server->stop();
    m_thread.join();
  }
  int port() const { return m_port; }
  util::Metrics& metrics() { return m_metrics; }
  std::vector<std::string> notices() {
    std::lock_guard lock(m_mutex);
    return m_notices;
  }

private:
  util::Metrics m_metrics;
  std::unique_ptr<http::Server> m_server;
  int m_port = 0;
  std::thread m_thread;
  std::mutex m_mutex;
  std::vector<std::string> m_notices;
};

const char* const k_close = " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

TEST(HttpServer, AHandlerThatThrowsCostsItsRequestA500NotTheServer) {
  http::Router router;
  router.add_prefix("/boom", [](http::Request, http::Respond) {
    throw std::runtime_error("a bug nobody foresaw");
  });
  router.add_prefix("/ok", [](http::Request, http::Respond respond) {
    respond(http::Response::text(200, "fine\n"));
  });
  TestServer server(router);
  const auto boom = exchange(server.port(), std::string("GET /boom") + k_close);
  EXPECT_EQ(boom.rfind("HTTP/1.1 500 ", 0), 0u) << boom;
  EXPECT_EQ(count_of(boom, "HTTP/1.1 "), 1u);
  // Still serving, and the failure counted and told once.
  const auto ok = exchange(server.port(), std::string("GET /ok") + k_close);
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 ", 0), 0u) << ok;
  EXPECT_EQ(server.metrics().value("hubcache_internal_errors_total"), 1u);
  const auto notices = server.notices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("a bug nobody foresaw"), std::string::npos);
  EXPECT_NE(notices[0].find("/boom"), std::string::npos);
}

TEST(HttpServer, AHandlerThatAnswersThenThrowsIsAnsweredOnce) {
  http::Router router;
  router.add_prefix("/late", [](http::Request, http::Respond respond) {
    respond(http::Response::text(200, "answered\n"));
    throw std::runtime_error("after the answer");
  });
  TestServer server(router);
  const auto late = exchange(server.port(), std::string("GET /late") + k_close);
  EXPECT_EQ(late.rfind("HTTP/1.1 200 ", 0), 0u) << late;
  EXPECT_EQ(count_of(late, "HTTP/1.1 "), 1u);
  EXPECT_EQ(server.metrics().value("hubcache_internal_errors_total"), 1u);
}

TEST(HttpServer, AHeaderThatWouldSplitTheResponseIsDroppedCountedAndNoted) {
  http::Router router;
  router.add_prefix("/split", [](http::Request, http::Respond respond) {
    auto response = http::Response::text(404, "{}", "application/json");
    response.headers.emplace_back("X-Error-Code", "EntryNotFound");
    response.headers.emplace_back(
        "X-Error-Message",
        "x\r\nX-Injected: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    response.headers.emplace_back("X-Bad Name", "fine");
    response.headers.emplace_back("X-Nul", std::string("a\0b", 3));
    respond(std::move(response));
  });
  TestServer server(router);
  const auto raw = exchange(server.port(), std::string("GET /split") + k_close);
  EXPECT_EQ(raw.rfind("HTTP/1.1 404 ", 0), 0u) << raw;
  EXPECT_EQ(count_of(raw, "HTTP/1.1 "), 1u) << raw;
  EXPECT_EQ(raw.find("X-Injected"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("X-Error-Message"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("X-Bad Name"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("X-Nul"), std::string::npos) << raw;
  EXPECT_NE(raw.find("X-Error-Code: EntryNotFound"), std::string::npos) << raw;
  EXPECT_EQ(server.metrics().value("hubcache_unsafe_headers_dropped_total"), 3u);
  const auto notices = server.notices();
  ASSERT_EQ(notices.size(), 3u);
  for (const auto& line : notices) {
    EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos) << line;
  }
}

} // namespace
