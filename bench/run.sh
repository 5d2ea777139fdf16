#!/bin/sh
# bench/run.sh BUILD_DIR - runs every benchmark built in BUILD_DIR/bench and
# prints their figures and a one-line summary of the ratios.
#
# Every figure is a ratio against raw SQLite doing the same work in the
# same run (see each bench_*.c). A ratio under its goal is reported as
# "below goal", never a failure: timings depend on the machine. The script
# fails only when a benchmark cannot run (crash, wrong result, time-out).
#
# Benchmarks write only to a temporary directory under $TMPDIR (or /tmp)
# and remove it when they finish.
set -u

build=${1:-build}
dir="$build/bench"
limit=150   # seconds a benchmark may take before it is stopped

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
echo "== tally benchmarks: $(nproc 2>/dev/null || echo '?') cores, $cpu"
echo "   sqlite $(pkg-config --modversion sqlite3 2>/dev/null || echo '?'), temp dir ${TMPDIR:-/tmp}"

found=0
failed=0
summary=""
for b in "$dir"/bench_*; do
    [ -x "$b" ] || continue
    found=$((found + 1))
    name=$(basename "$b")
    out=$(mktemp "${TMPDIR:-/tmp}/tally-bench-out.XXXXXX") || exit 1
    blimit=$limit
    # 100,000 customers and 1,000,000 purchases, each imported twice over
    # (a copy, then the ledger), at four sizes: minutes, not seconds.
    [ "$name" = bench_import ] && blimit=1200
    if command -v timeout >/dev/null 2>&1; then
        timeout "$blimit" "$b" >"$out" 2>&1
    else
        "$b" >"$out" 2>&1
    fi
    rc=$?
    sed 's/^/  /' "$out"
    if [ "$rc" -ne 0 ]; then
        [ "$rc" -eq 124 ] && echo "  $name: stopped after ${blimit}s"
        echo "  $name: FAILED (exit $rc)"
        failed=$((failed + 1))
        summary="$summary${summary:+, }$name FAILED"
    else
        # "earn: store ..., ratio 0.85 (goal >= 0.80) ok" -> "earn 0.85/0.80 ok"
        s=$(awk '/ ratio [0-9.]+ \(goal [<>]= [0-9.]+\)/ {   # ">=": higher is better, "<=": lower
                 name = $1; sub(/:$/, "", name)
                 for (i = 1; i <= NF; i++) {
                     if ($i == "ratio") r = $(i + 1); else if ($i == ">=" || $i == "<=") g = ($i == "<=" ? "<= " : "") $(i + 1)
                 }
                 sub(/\)$/, "", g); sub(/,$/, "", r)
                 v = $NF; if ($(NF - 1) == "below" || $(NF - 1) == "above") v = $(NF - 1) " goal"
                 printf "%s%s %s (goal %s) %s", sep, name, r, g, v; sep = ", "
             }' "$out")
        summary="$summary${summary:+, }${s:-$name: no ratio printed}"
    fi
    rm -f "$out"
done

if [ "$found" -eq 0 ]; then
    echo "no benchmarks in $dir: run 'make bench'"
    exit 1
fi
echo "== summary: $summary"
[ "$failed" -eq 0 ]
