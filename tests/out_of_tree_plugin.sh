#!/usr/bin/env bash
# The README's "Writing a plugin" path, end to end: install the SDK package from
# this build, build examples/dyt against it in a temporary folder, load it with
# --plugin-dir, run the quick suite's norm rows on every available backend, and
# find norm/dyt ranked beside the in-tree norms at the same shapes.
#   out_of_tree_plugin.sh BUILD_DIR EXAMPLE_DIR ARCHBENCH_BINARY
set -euo pipefail
build="$1" example="$2" archbench="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$example" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
      "${launcher[@]}" >/dev/null
cmake --build "$work/build" >/dev/null
test -f "$work/build/plugins/dyt/libarchbench_dyt.so"

"$archbench" run --quick --variant 'norm/*' --plugin-dir "$work/build/plugins" --db "$work/results.db" \
  > "$work/run.log" 2>&1 || { cat "$work/run.log"; echo "FAIL: run exited non-zero"; exit 1; }
"$archbench" leaderboard --kind norm --format csv --db "$work/results.db" > "$work/board.csv"

# Every backend the run used must rank norm/dyt, and each of its rows must share
# its (backend, shape) with a norm/rmsnorm row: ranked beside it, not alone.
backends="$(grep -c '^norm,vulkan,' "$work/board.csv" >/dev/null && echo "cpu vulkan" || echo "cpu")"
for backend in $backends; do
  dyt_rows="$(grep "^norm,$backend,.*,norm/dyt:" "$work/board.csv" || true)"
  [[ -n "$dyt_rows" ]] || { cat "$work/board.csv"; echo "FAIL: no norm/dyt row on $backend"; exit 1; }
  while IFS=, read -r _ _ shape _; do
    grep -q "^norm,$backend,$shape,[0-9]*,norm/rmsnorm:" "$work/board.csv" ||
      { echo "FAIL: norm/dyt at $shape on $backend has no norm/rmsnorm beside it"; exit 1; }
  done <<< "$dyt_rows"
  echo "ok: norm/dyt ranked beside norm/rmsnorm on $backend ($(wc -l <<< "$dyt_rows") shapes)"
done
