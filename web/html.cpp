// HTML building blocks (see html.hpp).
#include "web/html.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "results/format.hpp"

namespace archbench::web {
namespace {

// Kept small and inline: a page must render from a file:// report as well as
// from the server, with nothing fetched from anywhere.
constexpr const char* kStyle = R"css(
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fff}
nav{background:#24323f;padding:8px 16px}nav a{color:#dde6ee;margin-right:16px;text-decoration:none}
nav a.active{color:#fff;font-weight:bold;border-bottom:2px solid #f0b429}
main{padding:12px 16px}h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #d5dbe0;padding:3px 6px;text-align:left}
th{background:#eef2f5;cursor:pointer;white-space:nowrap}th[aria-sort=ascending]::after{content:" \25B2"}
th[aria-sort=descending]::after{content:" \25BC"}td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#f8fafb}.filters{margin:8px 0}.filters label{margin-right:12px}
code,pre{background:#f3f5f7;padding:2px 4px}pre{padding:8px;overflow-x:auto}.muted{color:#666}
.figures{display:flex;flex-wrap:wrap;gap:12px}.figures figure{margin:0;border:1px solid #e3e7ea;padding:4px;flex:1 1 420px;max-width:640px}
.figures img{width:100%;height:auto}
.empty{color:#8a5a00}.good{color:#17653a}.bad{color:#a11}
)css";

constexpr const char* kScript = R"js(
(function(){
function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent:v;}
function apply(){document.querySelectorAll('table.sortable').forEach(function(t){
 var sels=document.querySelectorAll('select.filter[data-table="'+t.id+'"]'),rows=t.tBodies[0].rows,shown=0;
 for(var r=0;r<rows.length;r++){var ok=true;
  sels.forEach(function(s){if(s.value!==''&&rows[r].cells[+s.getAttribute('data-col')].textContent!==s.value)ok=false;});
  rows[r].hidden=!ok;if(ok)shown++;}
 var c=document.getElementById(t.id+'-count');if(c)c.textContent=shown+' of '+rows.length+' rows';});}
document.querySelectorAll('table.sortable').forEach(function(t){var ths=t.tHead.rows[0].cells;
 Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){
  var asc=th.getAttribute('aria-sort')!=='ascending',body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',asc?'ascending':'descending');
  rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);if(x===y)return 0;if(x==='')return 1;if(y==='')return -1;
   var nx=Number(x),ny=Number(y),c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});
  rows.forEach(function(r){body.appendChild(r);});});});});
var params=new URLSearchParams(location.search);
document.querySelectorAll('select.filter').forEach(function(s){var v=params.get(s.name);
 if(v!==null&&Array.prototype.some.call(s.options,function(o){return o.value===v;}))s.value=v;
 s.addEventListener('change',apply);});
apply();
var by=params.get('sort');if(by!==null)document.querySelectorAll('table.sortable').forEach(function(t){
 Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th){if(th.textContent===by){th.click();
  if(params.get('order')==='descending')th.click();}});});
})();
)js";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_number(const results::Cell& c) {
  return std::holds_alternative<int64_t>(c) || std::holds_alternative<double>(c);
}

std::string exact(const results::Cell& c) {
  char buf[64];
  auto res = std::holds_alternative<int64_t>(c) ? std::to_chars(buf, buf + sizeof buf, std::get<int64_t>(c))
                                                : std::to_chars(buf, buf + sizeof buf, std::get<double>(c));
  return std::string(buf, res.ptr);
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) break;
        out += ch;
    }
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || ch == '-' || ch == '_' ||
        ch == '.' || ch == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::optional<std::string> url_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '+') {
      ch = ' ';
    } else if (ch == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_digit(text[i + 1]), lo = hex_digit(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      ch = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (ch == '\0') return std::nullopt;
    out += ch;
  }
  return out;
}

std::optional<Target> parse_target(std::string_view target) {
  Target out;
  const size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto name = url_decode(pair.substr(0, eq));
    auto value = url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    out.params[*name] = *value;
  }
  return out;
}

std::string display(const results::Cell& cell) { return results::display_cell(cell); }

std::string document(const std::string& title, const std::vector<NavLink>& nav, const std::string& active,
                     const std::string& body) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"icon\" href=\"data:,\">"  // no /favicon.ico request to fail
      "<title>" + escape(title) + " · archbench</title><style>" + kStyle + "</style></head>\n<body><nav>";
  for (const NavLink& link : nav)
    out += "<a href=\"" + escape(link.href) + "\"" + (link.href == active ? " class=\"active\"" : "") + ">" +
           escape(link.label) + "</a>";
  out += "</nav>\n<main>\n<h1>" + escape(title) + "</h1>\n" + body + "\n</main>\n<script>" + kScript +
         "</script>\n</body></html>\n";
  return out;
}

std::string table(const results::QueryResult& result, const TableOptions& options) {
  if (result.rows.empty()) return "<p class=\"empty\">" + escape(options.empty_note) + "</p>\n";
  std::string out;
  if (!options.filters.empty()) {
    out += "<div class=\"filters\">";
    for (const std::string& name : options.filters) {
      size_t col = 0;
      while (col < result.columns.size() && result.columns[col] != name) ++col;
      if (col == result.columns.size()) continue;
      std::vector<std::string> values;
      for (const auto& row : result.rows) {
        const std::string v = col < row.size() ? display(row[col]) : "";
        if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
      }
      std::sort(values.begin(), values.end());
      out += "<label>" + escape(name) + " <select class=\"filter\" name=\"" + escape(name) + "\" data-table=\"" +
             escape(options.id) + "\" data-col=\"" + std::to_string(col) + "\"><option value=\"\">all</option>";
      for (const std::string& v : values) out += "<option>" + escape(v) + "</option>";
      out += "</select></label>";
    }
    out += "<span class=\"muted\" id=\"" + escape(options.id) + "-count\"></span></div>\n";
  }
  out += "<table class=\"sortable\" id=\"" + escape(options.id) + "\"><thead><tr>";
  for (const std::string& c : result.columns) out += "<th>" + escape(c) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < result.rows.size(); ++r) {
    out += "<tr>";
    for (size_t c = 0; c < result.columns.size(); ++c) {
      static const results::Cell kNull;
      const results::Cell& cell = c < result.rows[r].size() ? result.rows[r][c] : kNull;
      const std::string shown = escape(display(cell));
      const std::string href = options.link ? options.link(r, c) : "";
      out += is_number(cell) ? "<td class=\"num\" data-v=\"" + exact(cell) + "\">" : std::string("<td>");
      out += href.empty() ? shown : "<a href=\"" + escape(href) + "\">" + shown + "</a>";
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  return out;
}

}  // namespace archbench::web
