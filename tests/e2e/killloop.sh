#!/bin/sh
# kill -9 during writes, forty times per build in make test (make soak:
# five hundred): two tills of one shop, each with
# 'tally syncd' on 127.0.0.1, and a stream of 'tally earn' on till A. Each
# round waits 20-200 ms, then kills with SIGKILL in turn: the earn being
# written, A's syncd (sending), B's syncd (saving what it receives). After
# every kill 'tally check' on that till must be clean; at the end both
# tills hold every earn that exited 0 (and at most the ones killed in
# flight more), with the same digest. The syncd logs (--verbose) are also
# checked: their identity is there, customers' names, phones and e-mails
# are not.
. "$(dirname "$0")/lib.sh"
T=$TALLY
HB=200
ROUNDS=${KILL_ROUNDS:-40}
LIMIT=${SYNC_WAIT:-30}
PIDS=""
cleanup() {
    [ -n "${writer:-}" ] && kill -9 "$writer" 2>/dev/null
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export TALLY_STAFF=Mira TALLY_PIN=2468
unset TALLY_DB
A=$WORK/a.db B=$WORK/b.db
start=$(date +%s)

env TALLY_NEW_PIN=2468 "$T" --db "$A" init --shop "Piekarnia" --currency PLN --manager Mira >/dev/null
"$T" --db "$A" program set limits.per_day 0 >/dev/null
"$T" --db "$A" customer add --name "Zofia Wiśniewska" --phone 601234567 --email zofia@example.com \
    --consent yes >/dev/null
"$T" --db "$A" customer add --name "Jan Kowalczyk" --phone 602345678 --consent yes >/dev/null

startd() {  # startd X: syncd of till X (a or b), pid in pid_X
    eval "db=\$$(echo "$1" | tr ab AB)"
    if [ "$1" = a ]; then   # the first start picks a port; later ones keep it
        "$T" --db "$db" syncd --verbose ${2:-} --heartbeat-ms $HB 2>>"$WORK/syncd.$1.log" &
    else
        "$T" --verbose --db "$db" syncd --heartbeat-ms $HB 2>>"$WORK/syncd.$1.log" &
    fi
    eval "pid_$1=$!"
    PIDS="$PIDS $!"
}
address() {
    i=0
    while [ $i -lt 100 ]; do
        a=$("$T" --db "$1" --format json sync status 2>/dev/null | sed -n 's/.*"address":"\([^"]*\)".*/\1/p' | head -n 1)
        st=$("$T" --db "$1" --format json sync status 2>/dev/null | sed -n 's/.*"running":\(true\|false\).*/\1/p')
        [ -n "$a" ] && [ "$st" = true ] && { echo "$a"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
startd a --listen=127.0.0.1:0
ADDR_A=$(address "$A") || { fail "syncd of till A never said where it listens"; exit 1; }
tok=$("$T" --db "$A" --format json till invite | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
run "till B joins" "$T" --db "$B" till join "$ADDR_A" "$tok" --name "Kasa 2" --listen 127.0.0.1:0
startd b

# The writer: one earn after another; each one's pid in cur, "ok" in
# ok.log once it exited 0, "killed" in killed.log when a kill hit it.
: >"$WORK/ok.log"
(
    k=0
    while [ ! -f "$WORK/stop" ]; do
        "$T" --db "$A" earn $((601234567 + (k % 2) * 1111111)) 1,00 >/dev/null 2>>"$WORK/earn.err" &
        p=$!
        echo $p >"$WORK/cur"
        if wait $p; then echo ok >>"$WORK/ok.log"; fi
        k=$((k + 1))
    done
) 2>/dev/null &
writer=$!

rnd_ms() { echo $(( $(od -An -N2 -tu2 /dev/urandom) % 181 + 20 )); }
bad=0 kw=0 ka=0 kb=0
r=0
while [ $r -lt "$ROUNDS" ]; do
    ms=$(rnd_ms)
    sleep "$(printf '0.%03d' "$ms")"
    case $((r % 3)) in
    0)  p=$(cat "$WORK/cur" 2>/dev/null)
        [ -n "$p" ] && kill -9 "$p" 2>/dev/null && kw=$((kw + 1))
        db=$A ;;
    1)  kill -9 "$pid_a" 2>/dev/null; wait "$pid_a" 2>/dev/null; ka=$((ka + 1))
        db=$A ;;
    2)  kill -9 "$pid_b" 2>/dev/null; wait "$pid_b" 2>/dev/null; kb=$((kb + 1))
        db=$B ;;
    esac
    if ! out=$("$T" --db "$db" check 2>&1); then
        bad=$((bad + 1))
        [ $bad -le 3 ] && fail "round $r: tally check after the kill: $out"
    fi
    case $((r % 3)) in 1) startd a ;; 2) startd b ;; esac
    r=$((r + 1))
done
same "tally check clean after each of $ROUNDS kill -9 ($kw earns, $ka+$kb syncd)" "$bad" 0
touch "$WORK/stop"
wait $writer 2>/dev/null
writer=

oks=$(grep -c ok "$WORK/ok.log")
i=0
while [ $i -lt $((LIMIT * 5)) ]; do
    da=$("$T" --db "$A" digest 2>&1); db_=$("$T" --db "$B" digest 2>&1)
    [ "$da" = "$db_" ] && break
    sleep 0.2
    i=$((i + 1))
done
same "both tills in the same state after the kills" "$da" "$db_"
ea=$(sqlite3 "$A" "SELECT count(*) FROM events WHERE type = 'earn'")
eb=$(sqlite3 "$B" "SELECT count(*) FROM events WHERE type = 'earn'")
[ "$ea" -ge "$oks" ] && [ "$ea" -le $((oks + kw)) ] &&
    pass "no committed earn lost on A ($oks exited 0, $ea in the ledger, $kw killed in flight)" ||
    fail "A holds $ea earns; $oks exited 0, $kw killed"
same "B holds every earn of A" "$eb" "$ea"
run "tally check on A at the end" "$T" --db "$A" check
run "tally check on B at the end" "$T" --db "$B" check
same "points equal the earns on A" "$(sqlite3 "$A" "SELECT sum(points) FROM customers")" "$ea"

# --- logs ------------------------------------------------------------------
LOGS=$(cat "$WORK"/syncd.a.log "$WORK"/syncd.b.log)
OUT=$LOGS
has "syncd logs under its identity" '^<[0-7]>tally-syncd: '
has "--verbose after syncd gives debug messages" '^<7>tally-syncd: .*published'
has "--verbose before syncd (global) gives debug messages" '^<7>tally-syncd: .*applied'
OUT=$("$T" --db "$A" --verbose customer show 601234567 2>&1 >/dev/null)
has "a command with --verbose logs as 'tally'" '^<7>tally: '
LOGS="$LOGS
$OUT"
for secret in Zofia Wiśniewska Kowalczyk 601234567 602345678 zofia@example.com; do
    if printf '%s\n' "$LOGS" | grep -q -- "$secret"; then
        fail "the logs name a customer: $secret"
    else
        pass "no '$secret' in the logs"
    fi
done
echo "killloop: $ROUNDS rounds in $(( $(date +%s) - start )) s" >&2
