// `archbench serve` over real sockets (web/http_server): the limits (a
// malformed, oversized or slow request gets a 4xx or is dropped, and the
// server goes on), the CLI's flag errors, and a bounded load test: 10,000
// requests over 8 keep-alive connections while `archbench run` writes to the
// same database (WAL), with no error.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "results/store.hpp"
#include "test_support.hpp"
#include "web/http_server.hpp"
#include "web_fixture.hpp"

using test_http::Connection;
using test_support::TempDir;

namespace {

// A server on a free loopback port, run on its own thread for the test's life.
struct Running {
  archbench::web::Server server;
  std::thread thread;
  explicit Running(const archbench::web::ServerOptions& o) : server(o), thread([this] { server.run(); }) {}
  ~Running() {
    server.stop();
    thread.join();
  }
};

archbench::web::ServerOptions options_for(const std::string& db) {
  archbench::web::ServerOptions o;
  o.db = db;
  o.port = 0;
  return o;
}

// Whether the child has exited, without reaping it (its status stays for waitpid).
bool exited(pid_t child) {
  siginfo_t info{};
  return waitid(P_PID, id_t(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child;
}

// The status of one raw request on a fresh connection; -1 when it cannot
// connect. No Catch macro here: the load test calls it from a thread.
int status_of(uint16_t port, const std::string& raw) {
  Connection c(port);
  if (!c.ok()) return -1;
  c.send_raw(raw);
  return c.read_reply().status;
}

}  // namespace

TEST_CASE("serve: answers pages and refuses malformed, oversized and slow requests, then goes on", "[web][server]") {
  TempDir tmp;
  const std::string db = tmp.file("web.db");
  web_fixture::write(db);
  auto o = options_for(db);
  o.limits.request_timeout = std::chrono::milliseconds(500);
  CHECK(archbench::web::ServerOptions().bind == "127.0.0.1");  // the loopback unless told otherwise
  Running running(o);
  const uint16_t port = running.server.port();
  CHECK(running.server.url() == "http://127.0.0.1:" + std::to_string(port) + "/");

  {  // keep-alive: several answers on one connection, a 404 included
    Connection c(port);
    REQUIRE(c.ok());
    const auto page = c.get("/");
    CHECK(page.status == 200);
    CHECK(page.headers.find("Content-Security-Policy: default-src 'none'") != std::string::npos);
    CHECK(page.body.find("<table class=\"sortable\"") != std::string::npos);
    CHECK(c.get("/nope.html").status == 404);
    const auto head = c.get("/runs.html", true);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(c.get("/api/runs").status == 200);
  }
  CHECK(status_of(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n") == 405);
  CHECK(status_of(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10000, 'a') + "\r\n\r\n") == 431);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  CHECK(status_of(port, many + "\r\n") == 431);
  CHECK(status_of(port, "GET /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n") == 414);
  CHECK(status_of(port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello") == 413);
  CHECK(status_of(port, "HELLO THERE\r\n\r\n") == 400);
  CHECK(status_of(port, "GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
  CHECK(status_of(port, "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n") == 404);
  {  // a request that never finishes arriving is dropped after the limit
    Connection slow(port);
    REQUIRE(slow.ok());
    slow.send_raw("GET / HTTP/1.1\r\nHost: x\r\n");
    const auto start = std::chrono::steady_clock::now();
    CHECK(slow.closed_by_peer(5000));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  }
  Connection after(port);
  REQUIRE(after.ok());
  CHECK(after.get("/index.html").status == 200);
}

TEST_CASE("serve: connections past the limit are closed at once while the others are served", "[web][server]") {
  TempDir tmp;
  const std::string db = tmp.file("web.db");
  web_fixture::write(db);
  auto o = options_for(db);
  o.limits.max_connections = 2;
  Running running(o);
  const uint16_t port = running.server.port();
  Connection first(port), second(port);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first.get("/api/runs").status == 200);  // both accepted before the third arrives
  CHECK(second.get("/api/runs").status == 200);
  Connection third(port);
  REQUIRE(third.ok());  // the kernel accepts; the server closes it without a word
  CHECK(third.closed_by_peer(3000));
  CHECK(first.get("/runs.html").status == 200);
}

TEST_CASE("serve: bad flags are one line naming the flag, exit 2", "[web][server]") {
  TempDir tmp;
  const std::string db = tmp.file("web.db");
  web_fixture::write(db);
  const auto check = [&](const std::string& args, const std::string& says) {
    const auto r = test_support::run_cli("serve --db " + db + " " + args);
    INFO(args << " -> " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(says) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  };
  check("--port 70000", "--port: expected a port number 0..65535, got '70000'");
  check("--port=-1", "--port: expected a port number 0..65535, got '-1'");
  check("--port abc", "--port: expected a port number 0..65535, got 'abc'");
  check("--bind nonsense", "--bind: 'nonsense' is not an IP address");
  check("--bogus", "bogus");
  const auto missing = test_support::run_cli("serve --db " + tmp.file("missing.db") + " --port 0");
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("does not exist") != std::string::npos);
}

TEST_CASE("serve: 10,000 requests over 8 connections while a run writes to the database", "[web][server][load]") {
  TempDir tmp;
  const std::string db = tmp.file("web.db");
  web_fixture::write(db);
  Running running(options_for(db));
  const uint16_t port = running.server.port();

  // The writer: a real run of the web suite's CPU rows into the same file.
  const std::string suite = std::string(ARCHBENCH_TEST_DATA) + "/web.toml";  // before fork: no malloc in the child
  std::fflush(stdout);  // the child must not print Catch's buffered output again
  const pid_t writer = fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    const int null = open("/dev/null", O_WRONLY);  // async-signal-safe, unlike freopen: other threads run
    dup2(null, STDOUT_FILENO);
    execl(ARCHBENCH_BINARY, "archbench", "run", "--suite", suite.c_str(), "--backend", "cpu", "--db", db.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for its first result, so the load below overlaps its writes.
  const auto count = [&](const char* table) {
    return std::get<int64_t>(
        archbench::results::Store::open_readonly(db).query(std::string("SELECT count(*) FROM ") + table).rows[0][0]);
  };
  const auto runs_now = [&] { return count("runs"); };
  const auto started = std::chrono::steady_clock::now();
  const int64_t fixture_results = count("results");
  while (count("results") == fixture_results && std::chrono::steady_clock::now() - started < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(runs_now() == 3);
  REQUIRE(count("results") > fixture_results);
  REQUIRE_FALSE(exited(writer));  // still writing

  const std::vector<std::pair<std::string, int>> targets = {
      {"/", 200},           {"/runs.html", 200},       {"/api/leaderboard", 200}, {"/api/runs", 200},
      {"/problem-1.html", 200}, {"/problem-1-samples.svg", 200}, {"/pareto.html", 200},
      {"/compare-1-2.html", 200}, {"/nope.html", 404},   {"/api/problem?id=2", 200}};
  constexpr int kConnections = 8, kPerConnection = 1250;
  const int64_t results_before = count("results");
  const auto load_start = std::chrono::steady_clock::now();
  std::atomic<int> answered{0}, wrong{0}, refused_ok{0};
  std::atomic<bool> done{false}, writer_wrote{false};
  // Each connection makes its 1250 requests, then goes on (a minute at most)
  // until the run has committed a result during the load, so the two surely overlap.
  std::thread monitor([&] {
    while (!done && !writer_wrote) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      writer_wrote = count("results") > results_before || exited(writer);
    }
  });
  std::vector<std::thread> clients;
  for (int t = 0; t < kConnections; ++t)
    clients.emplace_back([&, t] {
      Connection c(port);
      if (!c.ok()) return void(wrong += kPerConnection);
      for (int i = 0; i < kPerConnection || (!writer_wrote && std::chrono::steady_clock::now() - load_start <
                                                                     std::chrono::seconds(60)); ++i) {
        const auto& [target, expected] = targets[size_t(t + i) % targets.size()];
        const auto reply = c.get(target);
        if (reply.status == expected) ++answered;
        else ++wrong;
      }
    });
  // Meanwhile, oversized and malformed requests on connections of their own.
  std::thread hostile([&] {
    for (int i = 0; !done; ++i) {
      const int got = status_of(port, i % 2 ? "GET / HTTP/1.1\r\nX: " + std::string(20000, 'x') + "\r\n\r\n"
                                            : std::string("NOT HTTP AT ALL\r\n\r\n"));
      if (got == (i % 2 ? 431 : 400)) ++refused_ok;
      else ++wrong;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (auto& c : clients) c.join();
  done = true;
  hostile.join();
  monitor.join();
  const bool writer_was_running = !exited(writer);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const int64_t written = count("results") - results_before;
  std::printf("load: %d requests in %.2f s; the run recorded %lld results meanwhile and was %s writing at the end\n",
              answered.load(), load_s, static_cast<long long>(written), writer_was_running ? "still" : "no longer");
  CHECK(written > 0);
  CHECK(answered >= kConnections * kPerConnection);
  CHECK(wrong == 0);
  CHECK(refused_ok > 0);
  // The run finishes cleanly, and the server still answers with what it wrote.
  int status = 0;
  REQUIRE(waitpid(writer, &status, 0) == writer);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  Connection after(port);
  const auto board = after.get("/api/leaderboard?kind=attention");
  CHECK(board.status == 200);
  CHECK(board.body.find("attention/gqa") != std::string::npos);
}
