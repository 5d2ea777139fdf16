#!/bin/sh
# End to end: syncd and a long rollup log. A till that has just joined or
# imported a shop holds a whole history in roll_log until syncd has folded
# it; syncd first indexes such a log by member (store_rollup_index, once
# 50,000 rows wait), so the member reports read it in order meanwhile, then
# folds it and drops the index once the log is short. The reports are the
# same throughout.
. "$(dirname "$0")/lib.sh"
kill_pids_on_exit
T=$TALLY
export TALLY_NEW_PIN=2468
$T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null || fail "init"
export TALLY_STAFF=Mira TALLY_PIN=2468
run "seed a shop" $T demo seed --customers 300 --days 120 --seed 3 --end 2026-03-31 --no-campaign
report() { $T report segments --from 2026-03-01 --to 2026-03-31 && $T report customers --from 2025-12-01 --to 2026-03-31 &&
           $T report tiers --from 2026-03-01 --to 2026-03-31 && $T report summary --from 2026-03-01 --to 2026-03-31; }
folded=$(report 2>&1)
case "$folded" in *"at risk"*) pass "the reports to compare" ;; *) fail "the reports to compare: $folded" ;; esac
# As a shop that never folded, each moment in several rows of the log (a
# unit of spend moved into each of the others), over 50,000 rows in all.
rows=$(sql "SELECT count(*) FROM roll_cust")
parts=$((50000 / rows + 2))
sql "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)
       SELECT customer, wall, till, visits, spend - $parts + 1, tspend - $parts + 1 FROM roll_cust;
     WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $parts - 1)
     INSERT INTO roll_log(customer, wall, till, visits, spend, tspend) SELECT customer, wall, till, 0, 1, 1 FROM roll_cust, i;
     DELETE FROM roll_cust; DELETE FROM roll_member;" || fail "unfold the rollups"
same "the log holds every moment in $parts rows" "$(sql "SELECT count(*) FROM roll_log")" $((rows * parts))
same "the reports from the long log, sorted, are the folded ones" "$(report 2>&1)" "$folded"
same "no index yet" "$(sql "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'")" 0

$T syncd --listen 127.0.0.1:0 --heartbeat-ms 300 2>>"$WORK/syncd.log" &
PIDS="$PIDS $!"
# The index comes on syncd's first quiet second, before much is folded.
until_sql "syncd indexes the long log by member" \
    "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'" 1
same "the reports once it is indexed are the folded ones" "$(report 2>&1)" "$folded"
# Folding 50,000 rows takes seconds, longer under the sanitizers on a
# loaded machine: wait for it up to two minutes.
i=0
while [ "$(sql "SELECT count(*) FROM roll_log")" != 0 ] && [ $i -lt 1200 ]; do
    sleep 0.1
    i=$((i + 1))
done
same "syncd folds all of it" "$(sql "SELECT count(*) FROM roll_log")" 0
same "and drops the index with the long log" "$(sql "SELECT count(*) FROM sqlite_schema WHERE name = 'roll_log_member'")" 0
same "the reports after the fold are the folded ones" "$(report 2>&1)" "$folded"
run "the ledger checks clean" $T check
