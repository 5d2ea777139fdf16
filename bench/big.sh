#!/bin/sh
# bench/big.sh BUILD_DIR - every report on a 100,000-member shop (make bench-big).
#
# The shop is 'tally demo seed --customers 100000 --days 365 --end 2026-11-30'
# (about 2.2 million events; seeding takes 10-20 minutes on 2 cores), made
# once and kept as BUILD_DIR/bench-big/shop.db; delete it to seed again.
# Each report runs for the whole history (2025-12-01 .. 2026-11-30), for
# the last 30 days of it and for a month in the middle (June 2026: what
# came before and what came after are both long), as 'tally report'
# makes it, on two copies of that file: folded, as the seed leaves it (and syncd keeps it: every
# rollup row in roll_cust, the member state roll_member up to date), and
# unfolded, every rollup row moved back into the log (a shop that never
# folded: what syncd folds over a few minutes after a join or an
# import), with the log's member-order index syncd makes on its first
# quiet second (store_rollup_index; the same statement here). Each figure is the best of two runs after a warm-up, in
# seconds, beside the goal of 1 s, and as a ratio to hand-written SQL
# giving the report's figures from the events on the same file (one
# 'sqlite3 FILE' process; the same rules for refunds, voids and lost
# occasions; run once after a warm-up, as each takes many seconds):
# how far the report is from what a person who knows SQL would type.
# Then the dashboard for each period, from starting it to its first full
# screen (tmux), against the raw SQL of the reports it shows. Like
# bench/run.sh it never fails on timings, only when something cannot run.
set -u
build=${1:-build}
T=$(cd "$build" && pwd)/tally
dir="$build/bench-big"
mkdir -p "$dir" || exit 1
export TALLY_STAFF=Mira TALLY_PIN=2468 LANG=C.UTF-8 LC_ALL= LANGUAGE=
if [ ! -s "$dir/shop.db" ]; then
    echo "== seeding $dir/shop.db (100,000 members, 365 days: minutes)"
    rm -f "$dir/seeding.db" "$dir/seeding.db-wal" "$dir/seeding.db-shm"
    env TALLY_DB="$dir/seeding.db" TALLY_NEW_PIN=2468 "$T" init --shop Big --currency PLN --manager Mira >/dev/null &&
        env TALLY_DB="$dir/seeding.db" "$T" demo seed --customers 100000 --days 365 --seed 1 --end 2026-11-30 >/dev/null &&
        sqlite3 "$dir/seeding.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null &&
        mv "$dir/seeding.db" "$dir/shop.db" || { echo "bench-big: seeding FAILED"; exit 1; }
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench-big.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cp "$dir/shop.db" "$work/folded.db" || exit 1
# Opened once by this tally: a shop seeded by an older one is upgraded here.
TALLY_DB="$work/folded.db" "$T" report tills >/dev/null 2>&1 || { echo "bench-big: cannot open the shop"; exit 1; }
rm -f "$work"/*.before-upgrade-*
cp "$work/folded.db" "$work/unfolded.db"
sqlite3 "$work/unfolded.db" "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)
  SELECT customer, wall, till, visits, spend, tspend FROM roll_cust ORDER BY wall;
  DELETE FROM roll_cust; DELETE FROM roll_member;
  CREATE INDEX roll_log_member ON roll_log(customer, wall, till, visits, spend, tspend);" || exit 1

till=$(sqlite3 "$work/folded.db" "SELECT origin FROM events WHERE type = 'earn' GROUP BY origin ORDER BY count(*) DESC LIMIT 1")
COUNTED() { echo "($1.occasion = '' OR EXISTS (SELECT 1 FROM occasions o WHERE o.key = $1.occasion AND o.origin = $1.origin AND o.seq = $1.seq))"; }
set_period() {   # FROM TO: the bounds and the hand-written member figures for that period
from=$1 to=$2
a=$(date -d "$from" +%s)000 b=$(date -d "$to + 1 day" +%s)000
# Purchases that are still a visit, before :b, with their spend net of
# their counted refunds and voids (and the voids of those refunds).
LIVE="SELECT e.customer, e.wall, e.origin, e.spend + coalesce((SELECT sum(c.spend) FROM events c WHERE c.ref_origin <> '' AND c.ref_origin = e.origin AND c.ref_seq = e.seq AND $(COUNTED c)), 0) + coalesce((SELECT sum(v.spend) FROM events r JOIN events v ON v.ref_origin <> '' AND v.ref_origin = r.origin AND v.ref_seq = r.seq AND $(COUNTED v) WHERE r.ref_origin <> '' AND r.ref_origin = e.origin AND r.ref_seq = e.seq), 0) AS sp, 1 + coalesce((SELECT sum(c.visits) FROM events c WHERE c.ref_origin <> '' AND c.ref_origin = e.origin AND c.ref_seq = e.seq AND $(COUNTED c)), 0) + coalesce((SELECT sum(v.visits) FROM events r JOIN events v ON v.ref_origin <> '' AND v.ref_origin = r.origin AND v.ref_seq = r.seq AND $(COUNTED v) WHERE r.ref_origin <> '' AND r.ref_origin = e.origin AND r.ref_seq = e.seq), 0) > 0 AS live FROM events e WHERE e.type = 'earn' AND e.wall < $b"
# Each member's visits, first and last visit and spend, at the end of this
# period and of the previous one (of equal length, before it).
q=$((a - (b - a)))
MEMBERS="WITH p AS MATERIALIZED ($LIVE), m AS (SELECT customer, count(*) FILTER (WHERE live) AS n1, min(wall) FILTER (WHERE live) AS f1, max(wall) FILTER (WHERE live) AS l1, count(*) FILTER (WHERE live AND wall < $a) AS n0, max(wall) FILTER (WHERE live AND wall < $a) AS l0, coalesce(sum(sp) FILTER (WHERE wall >= $a), 0) AS sp, coalesce(sum(sp) FILTER (WHERE wall >= $q AND wall < $a), 0) AS sq, coalesce(sum(sp) FILTER (WHERE wall >= $b - 31536000000), 0) AS m1, count(*) FILTER (WHERE live AND wall >= $a) AS vp FROM p GROUP BY customer)"
SEG="CASE WHEN c.enrolled >= $a THEN 0 WHEN coalesce(l1, c.enrolled) < $b - 7776000000 THEN 1 WHEN n1 >= 3 AND l1 - f1 <= 2592000000 * (n1 - 1) AND $b - l1 > 2 * (l1 - f1) / (n1 - 1) AND $b - l1 >= 1209600000 THEN 2 WHEN m1 > 0 AND rank() OVER (ORDER BY m1 DESC) <= (count(*) FILTER (WHERE m1 > 0) OVER () + 9) / 10 THEN 3 WHEN n1 >= 3 AND l1 - f1 <= 2592000000 * (n1 - 1) THEN 4 ELSE 5 END"
}

raw_sql() {   # REPORT: the hand-written figures of that report
    case "$1" in
    summary*) echo "SELECT (SELECT count(*) FROM customers WHERE enrolled > 0 AND enrolled < $b), count(*) FILTER (WHERE wall >= $a), count(DISTINCT customer) FILTER (WHERE wall >= $a), sum(sp) FILTER (WHERE wall >= $a), count(*) FILTER (WHERE wall >= $q AND wall < $a) FROM ($LIVE AND e.wall >= $q $2) WHERE live;"
              echo "SELECT sum(points) FILTER (WHERE type IN ('earn', 'bonus', 'enrol', 'adjust')), sum(points) FILTER (WHERE type IN ('redeem', 'pay')), sum(points) FILTER (WHERE type = 'expire'), count(*) FILTER (WHERE type = 'nps') FROM events e WHERE wall >= $q AND wall < $b AND customer <> '' $2 AND $(COUNTED e);" ;;
    segments) echo "$MEMBERS SELECT seg, count(*), sum(sp) FROM (SELECT $SEG AS seg, sp FROM customers c LEFT JOIN m ON m.customer = c.id WHERE c.enrolled > 0 AND c.enrolled < $b) GROUP BY seg;"
              echo "$MEMBERS SELECT count(*) FROM customers c JOIN m ON m.customer = c.id WHERE c.enrolled > 0 AND c.enrolled < $a;" ;;
    customers) echo "$MEMBERS SELECT c.id, c.name, m.vp, m.sp, m.l1 FROM m JOIN customers c ON c.id = m.customer WHERE m.vp > 0 ORDER BY m.sp DESC, m.vp DESC, m.l1 DESC LIMIT 50;" ;;
    rewards) echo "SELECT json_extract(data, '\$.reward'), count(*), sum(points) FROM events e WHERE type = 'redeem' AND wall >= $q AND wall < $b AND NOT EXISTS (SELECT 1 FROM events v WHERE v.ref_origin <> '' AND v.ref_origin = e.origin AND v.ref_seq = e.seq AND v.type = 'void') GROUP BY 1;" ;;
    tiers) echo "SELECT customer, sum(spend) FROM events e WHERE wall >= $b - 31536000000 AND wall < $b AND spend <> 0 AND customer <> '' AND $(COUNTED e) GROUP BY customer;" ;;
    overdrafts) echo "SELECT id, points FROM customers WHERE points < 0; SELECT e.customer, e.origin, e.seq, e.points FROM events e JOIN customers c ON c.id = e.customer WHERE c.points < 0 AND e.points < 0;" ;;
    staff|tills) echo "SELECT $( [ "$1" = staff ] && echo staff || echo origin ), count(*), sum(spend), count(*) FILTER (WHERE type = 'refund'), count(*) FILTER (WHERE type = 'void') FROM events e WHERE wall >= $q AND wall < $b AND $(COUNTED e) GROUP BY 1;" ;;
    esac
}
best_of() {   # N COMMAND...: the best of N runs after a warm-up, in seconds
    n=$1
    shift
    "$@" >/dev/null 2>&1 || return 1
    best=""
    for i in $(seq "$n"); do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        d=$(echo "$(date +%s.%N) - $s" | bc)
        if [ -z "$best" ] || [ "$(echo "$d < $best" | bc)" = 1 ]; then best=$d; fi
    done
    echo "$best"
}
raw_run() { sqlite3 -batch -readonly "$1" <"$work/raw.sql"; }
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "== tally bench-big: $(nproc) cores, ${cpu:-?}; $(sqlite3 "$work/folded.db" "SELECT count(*) FROM customers") members,"\
     "$(sqlite3 "$work/folded.db" "SELECT count(*) FROM events") events (goal: each report under 1 s)"
failed=0
for span in "2025-12-01 2026-11-30" "2026-11-01 2026-11-30" "2026-06-01 2026-06-30"; do
set_period $span
echo "-- reports for $from .. $to"
dash_raw=0     # the raw SQL of the reports the dashboard shows, summed
for r in summary "summary --till $till" segments "segments --segment at-risk" customers rewards tiers overdrafts staff tills; do
    name=$(echo "$r" | sed 's/ --till .*/ --till/')
    case "$r" in
    "summary --till"*) raw_sql summary "AND e.origin = '$till'" >"$work/raw.sql" ;;
    *) raw_sql "${r%% *}" "" >"$work/raw.sql" ;;
    esac
    # Once, after a warm-up: these take many seconds each.
    raw=$(best_of 1 raw_run "$work/folded.db") || { echo "  $name: the raw SQL FAILED"; failed=1; continue; }
    case "$r" in summary|segments|rewards|tiers) dash_raw=$(echo "$dash_raw + $raw" | bc) ;; esac
    for state in folded unfolded; do
        # shellcheck disable=SC2086
        t=$(best_of 2 env TALLY_DB="$work/$state.db" "$T" report $r --from $from --to $to --format json) ||
            { echo "  $name ($state): FAILED"; failed=1; continue; }
        verdict=ok; [ "$(echo "$t > 1.0" | bc)" = 1 ] && verdict="above goal"
        printf '  %-26s %-8s %6.2f s (goal 1 s) %s; raw sql %6.2f s, ratio %.2f\n' "$name" "$state" "$t" "$verdict" "$raw" \
            "$(echo "scale=4; $t / $raw" | bc)"
    done
done
# The dashboard for the same period: from starting it to its first full
# screen (summary, segments and the at-risk list, tiers, rewards,
# messages, campaigns, the visits chart), in a terminal of 160 x 50;
# ratio against the raw SQL of its summary, segments, tiers and rewards.
for state in folded unfolded; do
    best=""
    for i in 0 1 2; do
        tmux kill-session -t tally-bench-big 2>/dev/null
        s=$(date +%s.%N)
        tmux new-session -d -s tally-bench-big -x 160 -y 50 \
            "env TALLY_DB='$work/$state.db' TALLY_STAFF=Mira TALLY_PIN=2468 LANG=C.UTF-8 '$T' dashboard --from $from --to $to; sleep 60"
        n=0
        until tmux capture-pane -p -t tally-bench-big 2>/dev/null | grep -q 'Top rewards'; do
            n=$((n + 1))
            [ "$n" -lt 3000 ] || break
            sleep 0.02
        done
        d=$(echo "$(date +%s.%N) - $s" | bc)
        tmux kill-session -t tally-bench-big 2>/dev/null
        [ "$n" -lt 3000 ] || { d=""; break; }
        # The first run warms the cache.
        if [ "$i" -gt 0 ] && { [ -z "$best" ] || [ "$(echo "$d < $best" | bc)" = 1 ]; }; then best=$d; fi
    done
    if [ -z "$best" ]; then echo "  dashboard ($state): FAILED (no full screen in 60 s)"; failed=1; continue; fi
    verdict=ok; [ "$(echo "$best > 1.0" | bc)" = 1 ] && verdict="above goal"
    printf '  %-26s %-8s %6.2f s (goal 1 s) %s; raw sql %6.2f s, ratio %.2f\n' "dashboard" "$state" "$best" "$verdict" \
        "$dash_raw" "$(echo "scale=4; $best / $dash_raw" | bc)"
done
done
[ "$failed" -eq 0 ]
