#!/bin/sh
# Runs every test against each build directory given (build, build/san):
# the cmocka unit tests, the end-to-end scripts on that build's tally,
# and (plain build only) each fuzz target briefly, each from its seed
# corpus in tests/fuzz/corpus/<target>. Ends with what it counted (checks
# per build, builds, fuzzers), then "total: N passed, N failed", and exits
# non-zero if anything failed.
#
# The builds' suites run at the same time, one job each, and print in
# order when all are done: most end-to-end time is spent waiting (for a
# till to converge, a terminal to draw, a process to be killed), so two
# suites on two cores take little longer than one. Each test picks free
# ports and its own directory, so they do not meet. TESTS_SERIAL=1 runs
# them one after the other, printing as it goes.
set -u
cd "$(dirname "$0")/.."
export TALLY_LOCALEDIR="$PWD/build/locale"
# The sanitizer build's leak check, less what fontconfig keeps on purpose.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
log=$tmp/log

count() {   # $1: label, $2: seconds taken; reads the log for PASS:/FAIL: lines
    p=$(grep -c '^PASS: ' "$log")
    f=$(grep -c '^FAIL: ' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
    grep '^FAIL: ' "$log" | sed "s|^|  [$1] |" | tee -a "$tmp/failures"
    printf '%-40s %4d passed %4d failed %5ss\n' "$1" "$p" "$f" "${2:-}"
}

# suite BUILD: that build's unit and end-to-end tests, with their own
# log; ends by printing "checks: PASSED FAILED" for the caller to add up.
suite() {
    build=$1
    log=$tmp/log.$(echo "$build" | tr / _)
    passed=0
    failed=0
    for t in "$build"/tests/test_*; do
        [ -x "$t" ] || continue
        name="$build/$(basename "$t")"
        start=$(date +%s)
        CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
        rc=$?
        # cmocka: "[       OK ] name" per test, "[  FAILED  ] name" per failure.
        p=$(grep -c '^\[       OK \]' "$log")
        f=$(grep -c '^\[  FAILED  \] [a-z_]' "$log")
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1     # crashed or a sanitizer stopped it
            echo "  [$name] crashed (exit $rc)" >>"$tmp/failures"
            tail -n 20 "$log" | sed "s|^|  [$name] |"
        fi
        grep '^\[  FAILED  \] [a-z_]' "$log" | sed "s|^|  [$name] |" | tee -a "$tmp/failures"
        grep -B2 -A8 'ERROR: \|runtime error' "$log" | head -n 30 | sed "s|^|  [$name] |"
        passed=$((passed + p))
        failed=$((failed + f))
        printf '%-40s %4d passed %4d failed %5ss\n' "$name" "$p" "$f" $(($(date +%s) - start))
    done
    for e in tests/e2e/*.sh; do
        case "$e" in */lib.sh) continue ;; esac
        start=$(date +%s)
        TALLY="$PWD/$build/tally" sh "$e" >"$log" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$log"; then
            echo "FAIL: $(basename "$e") exited $rc" >>"$log"
            tail -n 20 "$log" | sed "s|^|  [$build/$(basename "$e")] |"
        fi
        count "$build/$(basename "$e")" $(($(date +%s) - start))
    done
    echo "checks: $passed $failed"
}

n=0
[ -n "${TESTS_SERIAL:-}" ] ||
    echo "running the suites of $* side by side; each prints when all are done (TESTS_SERIAL=1: as they go)"
for build in "$@"; do
    n=$((n + 1))
    if [ -n "${TESTS_SERIAL:-}" ]; then
        suite "$build" | tee "$tmp/out.$n"
    else
        suite "$build" >"$tmp/out.$n" 2>&1 &
    fi
done
wait
checks=""       # checks counted per build, in order
i=0
while [ $i -lt $n ]; do
    i=$((i + 1))
    [ -n "${TESTS_SERIAL:-}" ] || grep -v '^checks: ' "$tmp/out.$i"
    set -- $(sed -n 's/^checks: //p' "$tmp/out.$i")
    if [ $# -ne 2 ]; then
        echo "FAIL: suite $i ended without counting its checks"
        set -- 0 1
    fi
    passed=$((passed + $1))
    failed=$((failed + $2))
    checks="$checks $(($1 + $2))"
done
fuzzers=0

# Fuzz targets: a short run each in make test; long runs are make soak.
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    fuzzers=$((fuzzers + 1))
    corpus=$(mktemp -d)     # new inputs go here; the seeds stay as they are
    seeds="tests/fuzz/corpus/$(basename "$f")"
    start=$(date +%s)
    if [ ! -d "$seeds" ]; then
        echo "FAIL: $(basename "$f") has no seed corpus $seeds" >"$log.r"
    elif "$f" -max_total_time="${FUZZ_SECONDS:-10}" -print_final_stats=0 "$corpus" "$seeds" >"$log" 2>&1; then
        echo "PASS: $(basename "$f")" >"$log.r"
    else
        tail -n 30 "$log" | sed "s|^|  [$(basename "$f")] |"
        echo "FAIL: $(basename "$f")" >"$log.r"
    fi
    mv "$log.r" "$log"
    rm -rf "$corpus"
    count "$(basename "$f")" $(($(date +%s) - start))
done

if [ -s "$tmp/failures" ]; then
    echo "failed:"
    cat "$tmp/failures"
fi

# What the total is made of: the same checks once per build, so nobody
# reads it as that many distinct checks.
set -- $checks
if [ "$#" -gt 0 ] && [ -z "$(printf '%s\n' "$@" | sort -u | sed 1d)" ]; then
    made="$1 checks × $# builds"
else
    made="checks per build:$(printf ' %s' "$@")"
fi
echo "$made + $fuzzers fuzzers"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
