// A loopback HTTP server for tests of the real client handle: each connection gets the next
// raw response of a list, then is closed; the requests are kept.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace testutil {

class RawServer {
public:
  explicit RawServer(std::vector<std::string> answers) : m_answers(std::move(answers)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t size = sizeof address;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &size);
    m_port = ntohs(address.sin_port);
    ::listen(m_fd, 8);
    m_thread = std::thread([this] {
      for (const auto& answer : m_answers) {
        const int client = ::accept(m_fd, nullptr, nullptr);
        if (client < 0) return;
        char buffer[4096];
        std::string request;
        while (request.find("\r\n\r\n") == std::string::npos) {
          const auto n = ::recv(client, buffer, sizeof buffer, 0);
          if (n <= 0) break;
          request.append(buffer, static_cast<std::size_t>(n));
        }
        {
          std::lock_guard lock(m_mutex);
          m_requests.push_back(request);
        }
        ::send(client, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(client);
      }
    });
  }
  ~RawServer() {
    ::shutdown(m_fd, SHUT_RDWR);
    ::close(m_fd);
    if (m_thread.joinable()) m_thread.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  std::string url() const { return endpoint() + "/bucket/key"; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

private:
  std::vector<std::string> m_answers;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_requests;  // under m_mutex
  int m_fd = -1;
  int m_port = 0;
  std::thread m_thread;
};

} // namespace testutil
