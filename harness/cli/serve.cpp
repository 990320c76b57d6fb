// `archbench serve` (the web leaderboard over HTTP, web/http_server) and
// `archbench report` (the same pages as static files, web/report). Both read
// the database read-only; neither loads a plugin.
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "web/http_server.hpp"
#include "web/report.hpp"

#include <charconv>
#include <cstdio>
#include <iostream>

namespace archbench::cli {

int serve_command(const Context& context) {
  Globals globals;
  web::ServerOptions server;
  std::string port = std::to_string(server.port);
  po::options_description options("archbench serve");
  options.add_options()("bind", po::value(&server.bind),
                        "address to listen on (default 127.0.0.1, the loopback; 0.0.0.0 or :: opens it to the network)")(
      "port", po::value(&port), "TCP port (default 8080; 0 picks a free one and prints it)");
  add_globals(options, globals, false);
  po::variables_map values;
  if (!parse("serve", "archbench serve [--db PATH] [--bind 127.0.0.1] [--port N]", context, options, values)) return 0;
  // Parsed here rather than by Boost, so "abc", "-1" and "70000" get the same line.
  unsigned long number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number > 65535)
    throw InputError("--port: expected a port number 0..65535, got '" + port + "'");
  server.port = static_cast<uint16_t>(number);
  server.db = database_path(globals);
  web::Server http(server);
  std::printf("archbench serve: %s (database %s, read-only; Ctrl-C stops)\n", http.url().c_str(),
              printable(server.db).c_str());
  if (server.bind != "127.0.0.1" && server.bind != "::1" && server.bind.rfind("127.", 0) != 0)
    std::printf("note: listening on %s, not the loopback: anyone who can reach this machine can read the results\n",
                printable(server.bind).c_str());
  std::fflush(stdout);
  http.run(true);
  std::printf("archbench serve: stopped\n");
  return 0;
}

int report_command(const Context& context) {
  Globals globals;
  std::string output;
  po::options_description options("archbench report");
  options.add_options()("output,o", po::value(&output)->required(), "the folder to write the HTML pages and SVG pictures into");
  add_globals(options, globals, false);
  po::variables_map values;
  if (!parse("report", "archbench report -o DIR [--db PATH]", context, options, values)) return 0;
  if (output.empty()) throw InputError("-o: the folder name is empty");
  const web::ReportSummary written = web::write_report(database_path(globals), output);
  std::cout << "wrote " << written.pages << " pages and " << written.pictures << " pictures to " << output
            << " (open " << output << "/index.html)\n";
  return 0;
}

}  // namespace archbench::cli
