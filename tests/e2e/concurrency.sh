#!/bin/sh
# Several processes write the same ledger at once (the kiosk, a manager's
# command, later syncd); one of them is killed mid-burst. Nothing may be
# lost or half-written: every command that said it succeeded is in the log,
# and every balance is the sum of its events' effects.
. "$(dirname "$0")/lib.sh"
T=$TALLY
env TALLY_NEW_PIN=2468 $T init --shop Piekarnia --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
$T program set limits.per_day 0 >/dev/null
for p in 600000001 600000002 600000003; do
    $T customer add --name "Klient $p" --phone $p >/dev/null
done

# Three writers, 15 purchases each, plus a reader, all at once.
for p in 600000001 600000002 600000003; do
    (ok=0; i=0; while [ $i -lt 15 ]; do
        $T earn $p 1,00 >/dev/null 2>>"$WORK/err.$p" && ok=$((ok + 1)); i=$((i + 1))
    done; echo $ok >"$WORK/ok.$p") &
done
(i=0; while [ $i -lt 10 ]; do $T digest >/dev/null 2>>"$WORK/err.reader"; i=$((i + 1)); done) &
wait
for p in 600000001 600000002 600000003; do
    same "writer $p: all 15 earns succeeded" "$(cat "$WORK/ok.$p")" 15
    same "writer $p: in the ledger" "$(sql "SELECT count(*) FROM events e JOIN customers c ON c.id = e.customer WHERE c.phone = '$p' AND e.type = 'earn'")" 15
done
same "the reader never failed" "$(cat "$WORK/err.reader")" ""
same "balances equal the sums of effects" \
    "$(sql "SELECT count(*) FROM customers c WHERE points <> (SELECT coalesce(sum(points), 0) FROM events WHERE customer = c.id)")" 0
same "no gap in the till's sequence" "$(sql "SELECT max(seq) - count(*) FROM events")" 0

# kill -9 a writer in the middle of a burst, five times.
k=0
while [ $k -lt 5 ]; do
    (while :; do $T earn 600000001 2,00 >/dev/null 2>&1; done) &
    loop=$!
    sleep 0.3
    kill -9 $loop 2>/dev/null
    wait $loop 2>/dev/null
    # An earn forked just before the loop died may still be starting.
    n=0
    while pkill -9 -f "$T earn 600000001" 2>/dev/null && [ $n -lt 50 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    k=$((k + 1))
done
same "after kill -9: integrity check is clean" "$(sql "PRAGMA integrity_check")" ok
same "after kill -9: balances equal the sums of effects" \
    "$(sql "SELECT count(*) FROM customers c WHERE points <> (SELECT coalesce(sum(points), 0) FROM events WHERE customer = c.id) OR visits <> (SELECT coalesce(sum(visits), 0) FROM events WHERE customer = c.id)")" 0
same "after kill -9: still no gap in the sequence" "$(sql "SELECT max(seq) - count(*) FROM events")" 0
run "after kill -9: the ledger takes new writes" $T earn 600000001 3,00
same "the database files stay private" "$(stat -c %a "$TALLY_DB" "$TALLY_DB-wal" 2>/dev/null | sort -u)" 600
