// The HTTP side of `archbench serve` (see http_server.hpp): an asynchronous
// Beast server, one session per connection on its own strand, answering from
// a LiveSite. The only translation unit that includes Beast.
#include "web/http_server.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "harness/errors.hpp"
#include "web/live_site.hpp"

namespace archbench::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// What every answer carries: no caching of a database that changes under a
// run, no sniffing, no framing, nothing loaded from elsewhere.
void common_headers(http::response<http::string_body>& res) {
  res.set(http::field::server, "archbench");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Content-Security-Policy",
          "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

struct Shared {
  LiveSite site;
  ServerLimits limits;
  std::atomic<size_t> connections{0};
  explicit Shared(const ServerOptions& o) : site(o.db), limits(o.limits) {}
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) { ++shared_.connections; }
  ~Session() { --shared_.connections; }
  void start() { asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); }); }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(shared_.limits.max_header_bytes);
    parser_->body_limit(0);
    buffer_.consume(buffer_.size());
    stream_.expires_after(shared_.limits.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
      return close();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return refuse(http::status::request_header_fields_too_large, "the request's headers are too large");
    if (ec == http::error::body_limit || ec == http::error::unexpected_body)
      return refuse(http::status::payload_too_large, "request bodies are not accepted");
    if (ec) return refuse(http::status::bad_request, "malformed request (" + ec.message() + ")");
    const auto& req = parser_->get();
    if (size_t(std::distance(req.begin(), req.end())) > shared_.limits.max_header_fields)
      return refuse(http::status::request_header_fields_too_large, "too many header fields");
    if (req.method() != http::verb::get && req.method() != http::verb::head)
      return refuse(http::status::method_not_allowed, "only GET and HEAD are answered");
    if (req.target().size() > shared_.limits.max_target_bytes)
      return refuse(http::status::uri_too_long, "the request target is too long");
    if (req.target().empty() || req.target()[0] != '/')
      return refuse(http::status::bad_request, "the request target must start with '/'");
    Response answer;
    try {  // Site::get answers bad input itself; this catches the database failing under it (a busy timeout)
      answer = shared_.site.get(std::string_view(req.target().data(), req.target().size()));
    } catch (const std::exception& e) {
      answer.status = 503;
      answer.content_type = "text/plain; charset=utf-8";
      answer.body = "503 the database did not answer: " + printable(e.what()) + "\n";
    }
    auto res = std::make_shared<http::response<http::string_body>>(http::int_to_status(unsigned(answer.status)),
                                                                   req.version());
    common_headers(*res);
    res->set(http::field::content_type, answer.content_type);
    if (!answer.location.empty()) res->set(http::field::location, answer.location);
    res->body() = answer.body;
    res->prepare_payload();
    if (req.method() == http::verb::head) res->body().clear();  // Content-Length stays that of the GET
    res->keep_alive(req.keep_alive());  // a 404 is an answer like any other; only refuse() hangs up
    if (answer.status >= 500)
      std::fprintf(stderr, "archbench serve: %d for %s\n", answer.status, printable(std::string(req.target())).c_str());
    write(res);
  }

  void refuse(http::status status, const std::string& why) {
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    common_headers(*res);
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    if (status == http::status::method_not_allowed) res->set(http::field::allow, "GET, HEAD");
    res->body() = std::to_string(unsigned(status)) + " " + why + "\n";
    res->prepare_payload();
    res->keep_alive(false);
    write(res);
  }

  void write(std::shared_ptr<http::response<http::string_body>> res) {
    stream_.expires_after(shared_.limits.request_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec) return self->close();
      if (!res->keep_alive()) return self->linger();
      self->read();
    });
  }

  // After a refusal the client may still be sending (the rest of an oversized
  // header): closing with unread bytes would reset the connection and could
  // destroy the answer before the client reads it. So: stop sending, then
  // read and drop what still comes, for a second and 1 MiB at most.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    drain_left_ = 1 << 20;
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec || n >= self->drain_left_) return self->close();
      self->drain_left_ -= n;
      self->drain();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{64 * 1024};  // its max size: above the header limit, so the parser's limit speaks first
  std::optional<http::request_parser<http::empty_body>> parser_;
  Shared& shared_;
  std::array<char, 4096> scratch_{};
  size_t drain_left_ = 0;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Shared shared;  // before ioc: handlers the io_context drops at its end still end sessions that count on it
  asio::io_context ioc;
  tcp::acceptor acceptor;

  explicit Impl(const ServerOptions& o) : options(o), shared(o), ioc(std::max(1, o.threads)), acceptor(ioc) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(o.bind, ec);
    if (ec) throw InputError("--bind: '" + o.bind + "' is not an IP address (expected e.g. 127.0.0.1, ::1 or 0.0.0.0)");
    const tcp::endpoint endpoint(address, o.port);
    const auto fail = [&](const char* what) {
      if (ec)
        throw InputError("--port: cannot listen on " + o.bind + ":" + std::to_string(o.port) + " (" + what + ": " +
                         ec.message() + ")");
    };
    acceptor.open(endpoint.protocol(), ec);
    fail("open");
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    fail("reuse_address");
    acceptor.bind(endpoint, ec);
    fail("bind");
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    fail("listen");
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (shared.connections.load() >= shared.limits.max_connections) {
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<Session>(std::move(socket), shared)->start();
        }
      }
      accept();
    });
  }
};

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Server::~Server() = default;

uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string Server::url() const {
  const auto address = impl_->acceptor.local_endpoint().address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(port()) + "/";
}

void Server::run(bool stop_on_signals) {
  std::optional<asio::signal_set> signals;
  if (stop_on_signals) {
    signals.emplace(impl_->ioc, SIGINT, SIGTERM);
    signals->async_wait([this](beast::error_code ec, int) {
      if (!ec) stop();
    });
  }
  impl_->accept();
  std::vector<std::thread> extra;
  for (int i = 1; i < impl_->options.threads; ++i) extra.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : extra) t.join();
}

void Server::stop() { impl_->ioc.stop(); }

}  // namespace archbench::web
