// A tiny blocking HTTP/1.1 client over POSIX sockets for the web server's
// tests: raw requests (malformed and oversized ones included) and keep-alive
// GETs. Deliberately not Beast, so the tests compile fast and speak to the
// server as an outside client would.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace test_http {

struct Reply {
  int status = 0;       // 0: no (complete) answer, the connection closed or timed out
  std::string headers;  // the status line and headers
  std::string body;
};

class Connection {
 public:
  explicit Connection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  bool ok() const { return fd_ >= 0; }

  bool send_raw(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += size_t(n);
    }
    return true;
  }

  // Reads one response (Content-Length framed); `timeout_ms` per wait.
  Reply read_reply(int timeout_ms = 10000) {
    Reply r;
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(timeout_ms)) return r;
    r.headers = pending_.substr(0, header_end);
    size_t length = 0;
    const std::string lower = lowercase(r.headers);
    if (const size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos)
      length = std::strtoul(r.headers.c_str() + at + 17, nullptr, 10);
    const bool head_request = last_was_head_;
    const size_t body_length = head_request ? 0 : length;
    while (pending_.size() < header_end + 4 + body_length)
      if (!fill(timeout_ms)) return r;
    r.body = pending_.substr(header_end + 4, body_length);
    pending_.erase(0, header_end + 4 + body_length);
    if (r.headers.size() > 12 && r.headers.compare(0, 5, "HTTP/") == 0) r.status = std::atoi(r.headers.c_str() + 9);
    return r;
  }

  Reply get(const std::string& target, bool head = false) {
    last_was_head_ = head;
    if (!send_raw(std::string(head ? "HEAD " : "GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) return {};
    return read_reply();
  }

  // Whether the server closed the connection (reads EOF within `timeout_ms`).
  bool closed_by_peer(int timeout_ms) {
    char buffer[4096];
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, timeout_ms) > 0) {
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  static std::string lowercase(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool fill(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buffer[65536];
    const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    pending_.append(buffer, size_t(n));
    return true;
  }
  int fd_ = -1;
  std::string pending_;
  bool last_was_head_ = false;
};

}  // namespace test_http
