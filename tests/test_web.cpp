// The web leaderboard's pages and API without a network (web/site): escaping,
// URL parsing, the Pareto front, every page of a fixture database, the JSON
// API's answers and refusals, and the static report's links.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "test_support.hpp"
#include "web/html.hpp"
#include "web/pareto.hpp"
#include "web/report.hpp"
#include "web/site.hpp"
#include "web_fixture.hpp"

using archbench::web::Response;
using archbench::web::Site;
using test_support::TempDir;

namespace {

struct Fixture {
  TempDir tmp;
  std::string db = tmp.file("web.db");
  Fixture() { web_fixture::write(db); }
};

}  // namespace

TEST_CASE("web: escape() leaves no markup and drops control characters", "[web]") {
  using archbench::web::escape;
  CHECK(escape("<a href=\"x\" title='y'>&</a>") == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  CHECK(escape(std::string("a\x1b[31mb\0c", 9)) == "a[31mbc");
  CHECK(escape("tab\tand\nnewline") == "tab\tand\nnewline");
  CHECK(escape("héllo") == "héllo");
}

TEST_CASE("web: targets parse, and malformed escapes are refused", "[web]") {
  using archbench::web::parse_target;
  const auto t = parse_target("/api/leaderboard?kind=ffn&shape=t1%2A+x&kind=norm");
  REQUIRE(t);
  CHECK(t->path == "/api/leaderboard");
  CHECK(t->params.at("kind") == "norm");
  CHECK(t->params.at("shape") == "t1* x");
  CHECK_FALSE(parse_target("/x?a=%zz"));
  CHECK_FALSE(parse_target("/x?a=%4"));
  CHECK_FALSE(parse_target("/x?a=%00"));
  CHECK(archbench::web::url_encode("a b/&") == "a%20b%2F%26");
}

TEST_CASE("web: the Pareto front keeps what nothing beats on every axis", "[web]") {
  using archbench::web::pareto_front;
  // speed (max), context (max), memory (min)
  const std::vector<std::vector<double>> points = {
      {100, 1024, 64}, {50, 4096, 64}, {40, 1024, 128}, {100, 1024, 64}, {10, 512, NAN}};
  CHECK(pareto_front(points, {true, true, false}) == std::vector<bool>{true, true, false, true, false});
  CHECK(pareto_front({}, {true}).empty());
}

TEST_CASE("web: every page of a database renders, escaped, with working links", "[web]") {
  Fixture f;
  const auto store = archbench::results::Store::open_readonly(f.db);
  const Site site(store, true);
  std::vector<std::string> pages = {"/", "/index.html", "/runs.html", "/pareto.html", "/compare-1-2.html",
                                    "/problem-1.html", "/problem-3.html"};
  for (const std::string& page : pages) {
    INFO(page);
    const Response r = site.get(page);
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/html; charset=utf-8");
    CHECK(r.body.find("<script>alert") == std::string::npos);
    CHECK(r.body.find("<b>\"quoted") == std::string::npos);
    // Every relative link and picture answers.
    static const std::regex link(R"re((?:href|src)="([^":?#]+)")re");
    for (auto it = std::sregex_iterator(r.body.begin(), r.body.end(), link); it != std::sregex_iterator(); ++it) {
      INFO((*it)[1].str());
      CHECK(site.get("/" + (*it)[1].str()).status == 200);
    }
  }
  const std::string board = site.get("/index.html").body;
  CHECK(board.find("norm/x&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(board.find("<select class=\"filter\" name=\"workload\"") != std::string::npos);
  CHECK(board.find("href=\"problem-1.html\"") != std::string::npos);
  CHECK(site.get("/runs.html").body.find("host&lt;b&gt;&quot;quoted&quot;&lt;/b&gt;") != std::string::npos);
  const std::string problem = site.get("/problem-1.html").body;
  CHECK(problem.find("archbench run --problem &#39;norm/rmsnorm:t16.dm256.f32&#39; --backend &#39;cpu&#39;") !=
        std::string::npos);
  CHECK(problem.find("problem-1-history.svg") != std::string::npos);
  const Response svg = site.get("/problem-1-samples.svg");
  CHECK(svg.content_type == "image/svg+xml");
  CHECK(svg.body.rfind("<?xml", 0) == 0);
  CHECK(site.get("/problem-3-history.svg").body.find("<script>") == std::string::npos);
}

TEST_CASE("web: unknown pages, traversal and bad ids are 4xx, never files", "[web]") {
  Fixture f;
  const auto store = archbench::results::Store::open_readonly(f.db);
  const Site site(store, true);
  for (const char* target : {"/nope.html", "/../../etc/passwd", "/..%2F..%2Fetc%2Fpasswd", "/problem-999.html",
                             "/problem-abc.html", "/problem--1.html", "/problem-99999999999999999999.html",
                             "/compare-1.html", "/task-nope.html", "/task-needle-0000.svg", "/pareto-1.svg",
                             "/etc/passwd", "/web/site.cpp"}) {
    INFO(target);
    const Response r = site.get(target);
    CHECK(r.status == 404);
    CHECK(r.body.find("root:") == std::string::npos);
  }
  CHECK(site.get("/compare-1-999.html").status == 400);  // the CLI's "run 999 does not exist"
  CHECK(site.get("/x?a=%zz").status == 400);
  CHECK(site.get("relative").status == 400);
  const Response redirect = site.get("/compare?a=1&b=2");
  CHECK(redirect.status == 303);
  CHECK(redirect.location == "compare-1-2.html");
}

TEST_CASE("web: the JSON API mirrors the CLI's queries and refuses what it does not know", "[web]") {
  Fixture f;
  const auto store = archbench::results::Store::open_readonly(f.db);
  const Site site(store, true);
  const auto json = [&](const std::string& target, int status = 200) {
    const Response r = site.get(target);
    INFO(target << " -> " << r.body);
    CHECK(r.status == status);
    CHECK(r.content_type == "application/json");
    return nlohmann::json::parse(r.body);
  };
  const auto board = json("/api/leaderboard?kind=norm&backend=cpu");
  REQUIRE(board.size() == 2);
  CHECK(board[0]["design"] == "norm/rmsnorm");  // 1 ms against 2 ms in the latest run
  CHECK(json("/api/runs").size() == 2);
  CHECK(json("/api/compare?a=1&b=2").size() == 3);
  const auto problem = json("/api/problem?id=1");
  CHECK(problem["canonical"] == "norm/rmsnorm:t16.dm256.f32");
  CHECK(problem["results"].size() == 2);
  CHECK(problem["samples"].size() == 6);
  CHECK(json("/api/").contains("endpoints"));
  CHECK(json("/api/leaderboard?bogus=1", 400).contains("error"));
  CHECK(json("/api/leaderboard?metric=speed", 400)["error"].get<std::string>().find("--metric") != std::string::npos);
  CHECK(json("/api/problem?id=x", 400).contains("error"));
  CHECK(json("/api/problem?id=77", 404).contains("error"));
  CHECK(json("/api/tasks?kind=nope", 400).contains("error"));
  CHECK(json("/api/nothing", 404).contains("error"));
  // A static report has no API.
  const Site report(store, false);
  CHECK(report.get("/api/runs").status == 404);
  CHECK(report.get("/index.html").body.find("api/") == std::string::npos);
}

TEST_CASE("web: report -o writes every page with relative links that resolve", "[web]") {
  Fixture f;
  const std::string out = f.tmp.file("report");
  const auto summary = archbench::web::write_report(f.db, out);
  CHECK(summary.pages >= 7);  // index, runs, pareto, 1 compare, 3 problems
  CHECK(summary.pictures >= 4);
  namespace fs = std::filesystem;
  static const std::regex link(R"re((?:href|src)="([^"]*)")re");
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.path().extension() != ".html") continue;
    std::ifstream in(entry.path());
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto it = std::sregex_iterator(html.begin(), html.end(), link); it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1];
      if (target.rfind("data:", 0) == 0) continue;
      INFO(entry.path().filename().string() << " -> " << target);
      CHECK(target.find_first_of("/:") == std::string::npos);  // relative, beside the page
      CHECK(fs::exists(fs::path(out) / target));
      ++checked;
    }
  }
  CHECK(checked > 20);
  if (std::system("command -v xmllint >/dev/null 2>&1") == 0)
    CHECK(std::system(("xmllint --noout " + out + "/*.svg").c_str()) == 0);  // every picture well-formed
  // The CLI: a bad database or a missing -o is one line and exit 2.
  CHECK(test_support::run_cli("report --db " + f.db + " -o " + f.tmp.file("r2")).exit_code == 0);
  CHECK(test_support::run_cli("report --db " + f.db).exit_code == 2);
  const auto missing = test_support::run_cli("report --db " + f.tmp.file("missing.db") + " -o " + f.tmp.file("r3"));
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("does not exist") != std::string::npos);
}

TEST_CASE("web: an empty database renders every page with a note instead of an empty table", "[web]") {
  TempDir tmp;
  const std::string db = tmp.file("empty.db");
  archbench::results::Store::open_readwrite(db);  // the schema, no run
  const auto store = archbench::results::Store::open_readonly(db);
  const Site site(store, true);
  for (const char* page : {"/index.html", "/runs.html", "/pareto.html", "/task-needle.html", "/api/leaderboard",
                           "/api/runs", "/api/tasks?kind=needle"}) {
    INFO(page);
    const Response r = site.get(page);
    CHECK(r.status == 200);
    CHECK(r.body.find("<tbody>\n</tbody>") == std::string::npos);
  }
  CHECK(site.get("/index.html").body.find("class=\"empty\"") != std::string::npos);
  CHECK(site.get("/compare-1-2.html").status == 400);
  CHECK(site.get("/problem-1.html").status == 404);
  const auto summary = archbench::web::write_report(db, tmp.file("report"));
  CHECK(summary.pages == 3);  // index, runs, pareto
}
