// `archbench serve`: the web leaderboard (web/site) over HTTP/1.1, on
// Boost.Beast. This header is Beast-free; Beast lives in http_server.cpp alone
// (it compiles slowly).
//
// Safe by default: it listens on the loopback unless told otherwise; the
// database is opened read-only; only GET and HEAD without a body are answered;
// the request target, the header bytes, the header count and the time a
// request may take to arrive are bounded (past one: a 4xx, then the
// connection is closed), as is the number of open connections; nothing is
// served from the file system, so there is no path to traverse.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace archbench::web {

struct ServerLimits {
  size_t max_target_bytes = 2048;        // longer -> 414
  uint32_t max_header_bytes = 8192;      // request line and headers together -> 431
  size_t max_header_fields = 64;         // more -> 431
  std::chrono::milliseconds request_timeout{10000};  // a request (or an idle keep-alive) that takes longer is dropped
  size_t max_connections = 128;          // more open at once: the newest is closed at once
};

struct ServerOptions {
  std::string db;
  std::string bind = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port)
  int threads = 2;
  ServerLimits limits;
};

class Server {
 public:
  // Opens the database read-only and starts listening. A bad address, a port
  // that cannot be bound or a database that cannot be read -> InputError.
  explicit Server(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;    // the port it listens on (the chosen one for port 0)
  std::string url() const;  // "http://127.0.0.1:8080/"
  // Serves until stop() (from any thread) or, with `stop_on_signals`, SIGINT or SIGTERM.
  void run(bool stop_on_signals = false);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace archbench::web
