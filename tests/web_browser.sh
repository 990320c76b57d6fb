#!/usr/bin/env bash
# The web leaderboard in a real browser (issue 18), run by ctest (label "web"):
# a small database from tests/data/web.toml (two runs), `archbench serve` on a
# free loopback port, then headless Chromium loads every page reachable from
# index.html. It fails on a console message (an error, a failed request), a
# table without rows, a page saying it has nothing, or a link or picture that
# does not answer 200 (an SVG must also be well-formed XML); it saves a
# screenshot per page. Then the leaderboard's filters (?kind=norm&backend=vulkan)
# and sorting (?sort=median_ms&order=descending) are checked in the rendered DOM, and
# `archbench report` is checked to write pages whose relative links resolve
# and which load without a console message from file://.
#
#   web_browser.sh ARCHBENCH SUITE SCREENSHOT_DIR
#
# Exit 77 (skipped) only when chromium is not installed.
set -euo pipefail

bin="$1" suite="$2" shots="$3"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "SKIP: chromium is not installed (Debian: apt-get install chromium; ./archbench test installs it)"
  exit 77
fi
work="$(mktemp -d /tmp/archbench-web-XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$shots"
rm -f "$shots"/*.png
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
start=$SECONDS

db="$work/web.db"
"$bin" run --suite "$suite" --db "$db" > "$work/run1.log" 2>&1 || { cat "$work/run1.log"; echo "FAIL: the first run"; exit 1; }
"$bin" run --suite "$suite" --backend cpu --variant 'norm/*' --db "$db" > "$work/run2.log" 2>&1 ||
  { cat "$work/run2.log"; echo "FAIL: the second run"; exit 1; }
echo "database: 2 runs in $((SECONDS - start)) s"

"$bin" serve --db "$db" --port 0 > "$work/serve.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 200); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/serve.log" || true)"
  [[ -n "$url" ]] && break
  sleep 0.05
done
[[ -n "$url" ]] || { cat "$work/serve.log"; echo "FAIL: serve printed no URL"; exit 1; }
port="${url##*:}"
port="${port%/}"
echo "serving $url"

# GET /PATH over bash's /dev/tcp (no curl needed): prints the status code and
# leaves the body in FILE.
http_get() {
  local line status
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
  IFS= read -r line <&3 || line=""
  status="${line:9:3}"
  while IFS= read -r line <&3 && [[ "$line" != $'\r' ]]; do :; done
  cat <&3 > "$2"
  exec 3<&- 3>&-
  echo "$status"
}

# Loads URL in headless Chromium: the DOM after scripts ran into $work/NAME.dom,
# its log into $work/NAME.log, a screenshot into $shots/NAME.png.
load() {
  local url="$1" name="$2"
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0 --window-size=1280,1400 \
    --screenshot="$shots/$name.png" --dump-dom "$url" > "$work/$name.dom" 2> "$work/$name.log" ||
    fail "$name: chromium exited $?"
  if grep -q 'CONSOLE' "$work/$name.log"; then
    fail "$name: console: $(grep 'CONSOLE' "$work/$name.log" | head -3 | tr '\n' ' ')"
  fi
  [[ -s "$shots/$name.png" ]] || fail "$name: no screenshot"
}

# What a rendered page must not hold: a table without a data cell, or a
# paragraph saying there is nothing (the test database has every kind of row).
check_content() {
  local name="$1"
  perl -0ne '
    my $bad = 0;
    while (/<table\b[^>]*>(.*?)<\/table>/gs) { my $t = $1; if ($t !~ /<td\b/) { print "empty table\n"; $bad = 1; } }
    if (/class="empty"/) { print "a \"nothing stored\" note\n"; $bad = 1; }
    if (!/<h1>/) { print "no heading\n"; $bad = 1; }
    exit $bad;' "$work/$name.dom" > "$work/$name.content" || fail "$name: $(tr '\n' ' ' < "$work/$name.content")"
}

# The relative links and pictures of a rendered page, one a line, without query.
links_of() {
  perl -ne 'while (/(?:href|src)="([^"]*)"/g) { my $l = $1; next if $l =~ /^(?:[a-z]+:|#)/; $l =~ s/\?.*//; print "$l\n"; }' "$1" | sort -u
}

declare -A seen=([index.html]=1)
queue=("index.html")
pages=0
while ((${#queue[@]})); do
  page="${queue[0]}"
  queue=("${queue[@]:1}")
  name="${page%.html}"
  load "$url$page" "$name"
  check_content "$name"
  pages=$((pages + 1))
  while IFS= read -r link; do
    [[ -z "$link" || -n "${seen[$link]:-}" ]] && continue
    seen[$link]=1
    status="$(http_get "$link" "$work/body")"
    [[ "$status" == 200 ]] || { fail "$page links to $link, which answers '$status'"; continue; }
    # Chromium says nothing of a picture it cannot decode: check the SVG itself.
    if [[ "$link" == *.svg ]] && ! xmllint --noout "$work/body" 2> "$work/xmllint.out"; then
      fail "$link is not well-formed: $(head -2 "$work/xmllint.out" | tr '\n' ' ')"
    fi
    [[ "$link" == *.html ]] && queue+=("$link")
  done < <(links_of "$work/$name.dom")
done
echo "loaded $pages pages in Chromium"
for must in runs.html pareto.html task-needle.html compare-1-2.html; do
  [[ -n "${seen[$must]:-}" ]] || fail "no link reaches $must"
done
((pages >= 8)) || fail "only $pages pages reachable"
# The leaderboard links each design to its problem page.
[[ -n "$(printf '%s\n' "${!seen[@]}" | grep -E '^problem-[0-9]+\.html$')" ]] || fail "no problem page is linked"

# The filters: ?kind=norm&backend=vulkan leaves only those rows shown.
load "${url}index.html?kind=norm&backend=vulkan" "index-filtered"
perl -0ne '
  /<table class="sortable" id="board">.*?<tbody>(.*?)<\/tbody>/s or do { print "no board\n"; exit 1 };
  my ($shown, $hidden) = (0, 0);
  for my $row ($1 =~ /<tr\b[^>]*>.*?<\/tr>/gs) {
    if ($row =~ /^<tr hidden/) { $hidden++; next; }
    my @cells = $row =~ /<td[^>]*>(.*?)<\/td>/g;
    if ($cells[0] ne "norm" || $cells[1] ne "vulkan") { print "row shown: $cells[0] $cells[1]\n"; exit 1; }
    $shown++;
  }
  if (!$shown || !$hidden) { print "shown $shown, hidden $hidden\n"; exit 1; }' "$work/index-filtered.dom" > "$work/filter.out" ||
  fail "filters: $(tr '\n' ' ' < "$work/filter.out")"

# Sorting: ?sort=median_ms&order=descending leaves the board's median_ms column descending.
load "${url}index.html?sort=median_ms&order=descending" "index-sorted"
perl -0ne '
  /<table class="sortable" id="board"><thead><tr>(.*?)<\/tr>.*?<tbody>(.*?)<\/tbody>/s or do { print "no board\n"; exit 1 };
  my ($head, $body) = ($1, $2);
  my @names = $head =~ /<th[^>]*>(.*?)<\/th>/g;
  my ($col) = grep { $names[$_] eq "median_ms" } 0..$#names;
  defined $col or do { print "no median_ms column\n"; exit 1 };
  $head =~ /<th aria-sort="descending">median_ms<\/th>/ or do { print "median_ms not marked descending\n"; exit 1 };
  my @values;
  for my $row ($body =~ /<tr\b[^>]*>.*?<\/tr>/gs) {
    my @cells = $row =~ /<td([^>]*)>/g;
    my ($v) = $cells[$col] =~ /data-v="([^"]*)"/;
    push @values, $v if defined $v;
  }
  @values >= 2 or do { print "too few values\n"; exit 1 };
  for my $i (1..$#values) { if ($values[$i] > $values[$i-1]) { print "not descending: @values\n"; exit 1 } }' \
  "$work/index-sorted.dom" > "$work/sort.out" || fail "sorting: $(tr '\n' ' ' < "$work/sort.out")"

# The static report: relative links resolve to files, and it loads from file://.
"$bin" report --db "$db" -o "$work/report" > "$work/report.log" 2>&1 || { cat "$work/report.log"; fail "report"; }
for html in "$work"/report/*.html; do
  while IFS= read -r link; do
    [[ -z "$link" || -e "$work/report/$link" ]] || fail "report: $(basename "$html") links to missing $link"
  done < <(links_of "$html")
done
load "file://$work/report/index.html" "report-index"
check_content "report-index"

kill -TERM "$server_pid"
wait "$server_pid" || fail "serve exited $? on SIGTERM"
server_pid=""
grep -q "stopped" "$work/serve.log" || fail "serve did not say it stopped"

echo "screenshots: $shots ($(ls "$shots" | wc -l) files); $((SECONDS - start)) s in all"
((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
echo "all pages passed"
