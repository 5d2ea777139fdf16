#!/bin/sh
# Three tills of one shop, each with its own database and its own
# 'tally syncd' on 127.0.0.1 (free ports): they join with invitations,
# trade at once, lose a syncd to kill -9, one is stopped while the others
# make 2,000 events, messages are dropped/doubled/reordered on purpose, and
# one till is put back to an old copy of its database. After each, all
# three must hold the same events (count) and the same state (digest),
# with nothing lost, nothing doubled and no fork. Every wait has a time
# bound; every syncd started here is stopped on exit.
. "$(dirname "$0")/lib.sh"
T=$TALLY
HB=300              # heartbeat, ms: quick for the test
LIMIT=${SYNC_WAIT:-60}  # seconds any one wait may take
kill_pids_on_exit

export TALLY_STAFF=Mira TALLY_PIN=2468
unset TALLY_DB
A=$WORK/a.db B=$WORK/b.db C=$WORK/c.db

# start X [ENV=...]: starts syncd for till X (a, b, c); its pid in pid_X.
start() {
    till=$1; shift
    eval "db=\$$(echo "$till" | tr abc ABC)"
    env "$@" "$T" --db "$db" syncd --heartbeat-ms $HB 2>>"$WORK/syncd.$till.log" &
    eval "pid_$till=$!"
    PIDS="$PIDS $!"
}
# stop X [signal]: a process just started may miss a signal, so repeat.
# $stopped says how it ended: "exit N", or "kill -9" when the signal did
# not stop it within 5 s.
stop() {
    eval "p=\$pid_$1"
    n=0
    stopped="exit"
    while [ -d "/proc/$p" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ]; do
        if [ $n -ge 50 ]; then
            kill -9 "$p" 2>/dev/null
            stopped="kill -9"
            break
        fi
        kill "-${2:-TERM}" "$p" 2>/dev/null
        sleep 0.1
        n=$((n + 1))
    done
    wait "$p" 2>/dev/null
    rc=$?
    [ "$stopped" = exit ] && stopped="exit $rc"
}
digest() { "$T" --db "$1" digest 2>&1; }
count() { sqlite3 "$1" "SELECT count(*) FROM events"; }
forks() { sqlite3 "$1" "SELECT count(*) FROM forks"; }

# converged "what": waits until the three tills hold the same events and state.
converged() {
    i=0
    while [ $i -lt $((LIMIT * 5)) ]; do
        da=$(digest "$A"); db_=$(digest "$B"); dc=$(digest "$C")
        if [ "$da" = "$db_" ] && [ "$da" = "$dc" ] && [ "$(count "$A")" = "$(count "$B")" ] &&
           [ "$(count "$A")" = "$(count "$C")" ]; then
            pass "$1 (${da#* } events)"
            return 0
        fi
        sleep 0.2
        i=$((i + 1))
    done
    fail "$1: not the same after ${LIMIT}s: a=$da ($(count "$A")) b=$db_ ($(count "$B")) c=$dc ($(count "$C"))"
    tail -n 5 "$WORK"/syncd.*.log
    return 1
}

# address X: where till X's syncd listens (from its status).
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

# --- a shop with three tills ------------------------------------------------
env TALLY_NEW_PIN=2468 "$T" --db "$A" init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
"$T" --db "$A" program set limits.per_day 0 >/dev/null
"$T" --db "$A" reward add "Kawa" --points 5 >/dev/null
for p in 600000001 600000002 600000003; do
    "$T" --db "$A" customer add --name "Klient $p" --phone $p --consent yes >/dev/null
done
"$T" --db "$A" syncd --listen 127.0.0.1:0 --heartbeat-ms $HB 2>>"$WORK/syncd.a.log" &
pid_a=$! PIDS="$PIDS $!"
ADDR_A=$(address "$A") || { fail "syncd of till A never said where it listens"; exit 1; }
pass "syncd of till A listens on $ADDR_A"

join() {    # join X NAME
    eval "db=\$$(echo "$1" | tr abc ABC)"
    tok=$("$T" --db "$A" --format json till invite | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    run "till $1 joins with an invitation" "$T" --db "$db" till join "$ADDR_A" "$tok" --name "$2" --listen 127.0.0.1:0
    start "$1"
}
join b "Kasa 2"
join c "Kasa główna – łąkowa, przy ścianie"
converged "three tills hold the shop"

# A wrong PIN at C is an event like any other: it reaches A's staff report,
# while the count that makes a name wait stays at C (Mira still works on A).
refuse "a wrong PIN at till C" "wrong staff name or PIN" env TALLY_PIN=86420975 "$T" --db "$C" reward add X --points 1
converged "the wrong PIN's record reaches every till"
run "A's staff report" "$T" --db "$A" --format json report staff --last 1d
has "counts Mira's wrong PIN typed at C" '"name":"Mira"[^}]*"wrong_pins":1,'
same "the PIN is in no till's database" "$(for d in "$A" "$B" "$C"; do sqlite3 "$d" .dump; done | grep -c 86420975)" 0
run "till list on C" "$T" --db "$C" till list
has "C knows A" "$(echo "$ADDR_A")"
has "C knows B" "Kasa 2"
has "C's name is cut to 20 columns, at a whole letter, with …" "Kasa główna – łąkow… 127"
aligned "the till list's columns line up after it" ' (127\.0\.0\.1:)'
# A used token is refused by A itself. With no invitation open A's join
# port answers nobody (a time-out proves nothing), so open another one
# and try until A answers.
"$T" --db "$A" till invite >/dev/null
i=0
while [ $i -lt 20 ]; do
    OUT=$("$T" --db "$WORK/x.db" till join "$ADDR_A" "$tok" --timeout 2 2>&1) && break
    case "$OUT" in *"no answer from"*) i=$((i + 1)) ;; *) break ;; esac
done
has "an invitation works once" "invitation is unknown, used or expired"
[ -e "$WORK/x.db" ] && fail "a refused join left $WORK/x.db behind"
refuse "a joining till needs a new database" "exists already" \
    "$T" --db "$B" till join "$ADDR_A" "$tok" --timeout 5

# --- earns and redemptions on all three at once --------------------------------
burst() {   # burst DB N: N earns and a redemption per customer
    k=0
    while [ $k -lt "$2" ]; do
        for p in 600000001 600000002 600000003; do
            "$T" --db "$1" earn $p 10,00 >/dev/null 2>>"$WORK/burst.err" && echo earn >>"$1.ok"
        done
        k=$((k + 1))
    done
    for p in 600000001 600000002 600000003; do
        "$T" --db "$1" redeem $p Kawa >/dev/null 2>>"$WORK/burst.err" && echo redeem >>"$1.ok"
    done
}
burst "$A" 5 & w1=$!
burst "$B" 5 & w2=$!
burst "$C" 5 & w3=$!
wait $w1 $w2 $w3
converged "earns and redemptions at three tills at once"
earns=$(cat "$A.ok" "$B.ok" "$C.ok" | grep -c earn)
same "every earn once, everywhere" "$(sqlite3 "$B" "SELECT count(*) FROM events WHERE type = 'earn'")" "$earns"
same "every redemption once" "$(sqlite3 "$C" "SELECT count(*) FROM events WHERE type = 'redeem'")" \
    "$(cat "$A.ok" "$B.ok" "$C.ok" | grep -c redeem)"
run "sync status on A" "$T" --db "$A" sync status
has "A sees B connected" "Kasa 2 .*connected"
has "C's name is cut to 16 columns, at a whole letter, with …" "Kasa główna – ł… 127"
aligned "sync status's columns line up after it" '^[0-9a-f]{8} .* (127\.0\.0\.1:)'
run "sync status as JSON" "$T" --db "$B" --format json sync status
has "B sees two peers" '"peers":\[{.*},{.*}\]'

# --- kill -9 of a syncd in the middle of a burst, then restart ---------------------
rm -f "$A.ok"
burst "$A" 10 & w1=$!
sleep 0.5
stop b KILL
sleep 0.5
start b
wait $w1
converged "after kill -9 of B's syncd mid-burst"
same "A's burst reached B once each" "$(sqlite3 "$B" "SELECT count(*) FROM events WHERE type = 'earn'")" \
    "$(sqlite3 "$A" "SELECT count(*) FROM events WHERE type = 'earn'")"

# kill -9 of a writer mid-import: all of it or none, and the same everywhere.
i=0; echo "phone;amount" >"$WORK/tx.csv"
while [ $i -lt 300 ]; do echo "60000000$((i % 3 + 1));1,50" >>"$WORK/tx.csv"; i=$((i + 1)); done
"$T" --db "$C" import transactions "$WORK/tx.csv" >/dev/null 2>&1 & imp=$!
sleep 0.2
kill -9 $imp 2>/dev/null; wait $imp 2>/dev/null
converged "after kill -9 of a writer mid-import"
imported=$(sqlite3 "$A" "SELECT count(*) FROM events WHERE type = 'earn' AND spend = 150")
case "$imported" in
    0|300) pass "mid-import: all of it or none ($imported of 300 purchases)" ;;
    *) fail "mid-import: $imported of 300 purchases made it" ;;
esac

# --- a till stopped while the others make 2,000 events --------------------------------
stop c
: >"$WORK/big.csv"; echo "phone;amount" >"$WORK/big.csv"
i=0
while [ $i -lt 1000 ]; do echo "60000000$((i % 3 + 1));2,00" >>"$WORK/big.csv"; i=$((i + 1)); done
run "A imports 1,000 purchases" "$T" --db "$A" import transactions "$WORK/big.csv"
run "B imports 1,000 purchases" "$T" --db "$B" import transactions "$WORK/big.csv"
before=$(count "$C")
start c
converged "C catches up after being off"
same "C got them all" "$(( $(count "$C") - before >= 2000 ))" 1

# --- messages dropped, doubled and reordered on purpose ------------------------------
for x in a b c; do stop $x; done
start a TALLY_SYNC_FAULTS=drop=0.2,dup=0.1,reorder=0.1,seed=1
start b TALLY_SYNC_FAULTS=drop=0.2,dup=0.1,reorder=0.1,seed=2
start c TALLY_SYNC_FAULTS=drop=0.2,dup=0.1,reorder=0.1,seed=3
burst "$A" 3 & w1=$!
burst "$B" 3 & w2=$!
burst "$C" 3 & w3=$!
wait $w1 $w2 $w3
converged "with 20% dropped, 10% doubled, 10% reordered"
for x in a b c; do stop $x; start $x; done

# --- a till put back to an old copy of its database -----------------------------------------
stop c
sqlite3 "$C" ".backup '$WORK/c-old.db'"
start c
origin_of() { "$T" --db "$1" --format json sync status | sed -n 's/^{"running":[a-z]*,"till":"\([0-9a-f]*\)".*/\1/p'; }
old_origin=$(origin_of "$C")
i=0
while [ $i -lt 5 ]; do "$T" --db "$C" earn 600000002 3,00 >/dev/null; i=$((i + 1)); done
converged "C's newer events reached the others"
stop c
rm -f "$C-wal" "$C-shm"
cp "$WORK/c-old.db" "$C"
start c
i=0; new_origin=$old_origin
while [ $i -lt $((LIMIT * 5)) ] && [ "$new_origin" = "$old_origin" -o -z "$new_origin" ]; do
    sleep 0.2
    new_origin=$(origin_of "$C")
    i=$((i + 1))
done
if [ -n "$new_origin" ] && [ "$new_origin" != "$old_origin" ]; then
    pass "restored C moved from $old_origin to $new_origin"
else
    fail "restored C kept its origin $old_origin"
fi
run "restored C takes new purchases" "$T" --db "$C" earn 600000003 4,00
converged "after the restore"
same "no forks anywhere" "$(forks "$A") $(forks "$B") $(forks "$C")" "0 0 0"
same "the old origin is removed from the till list" \
    "$("$T" --db "$A" till list --all | grep "^$old_origin " | grep -c "(removed)")" 1

# --- a till removed: its key stops working ------------------------------------------------------
run "B is removed" "$T" --db "$A" till remove "Kasa 2"
# A and C drop B's key and connections once they have the removal.
i=0
while [ $i -lt $((LIMIT * 5)) ] && { "$T" --db "$A" sync status | grep -q "Kasa 2" ||
                                    "$T" --db "$C" sync status | grep -q "Kasa 2"; }; do
    sleep 0.2; i=$((i + 1))
done
same "A and C no longer list B" "$({ "$T" --db "$A" sync status; "$T" --db "$C" sync status; } | grep -c "Kasa 2")" 0
# Two sales made after A and C cut B off. What was sent to B before (the
# removal itself, from A or C) may still land there afterwards, on a
# loaded machine well after they cut it off: so B's silence is about
# these two sales, not about its count of events.
OUT=$("$T" --db "$A" earn 600000001 1,00)
sale_a=$(printf '%s\n' "$OUT" | sed -n 's/^Event \([0-9a-f]*:[0-9]*\):.*/\1/p')
OUT=$("$T" --db "$C" earn 600000001 1,00)
sale_c=$(printf '%s\n' "$OUT" | sed -n 's/^Event \([0-9a-f]*:[0-9]*\):.*/\1/p')
# Both sales crossing between A and C is the sign that anything B could
# hear has been sent; only then is B's silence worth checking.
i=0
while [ $i -lt $((LIMIT * 5)) ] && { [ "$(count "$A")" != "$(count "$C")" ] ||
                                    [ "$(digest "$A")" != "$(digest "$C")" ]; }; do
    sleep 0.2; i=$((i + 1))
done
same "A and C trade on without B" "$(digest "$A")" "$(digest "$C")"
same "the removed till hears nothing more: neither sale reached it" \
    "$(sqlite3 "$B" "SELECT count(*) FROM events WHERE origin || ':' || seq IN ('$sale_a', '$sale_c')") ${sale_a:+a}${sale_c:+c}" "0 ac"
# B learns of its own removal from A or C, unless they cut it off first;
# either way its syncd must not serve on. If it heard, it has stopped by
# itself, exit 1, saying why.
if grep -q 'removed from the shop' "$WORK/syncd.b.log"; then
    i=0
    while [ $i -lt $((LIMIT * 5)) ] && [ -d "/proc/$pid_b" ] && [ "$(cut -d' ' -f3 "/proc/$pid_b/stat" 2>/dev/null)" != Z ]; do
        sleep 0.2; i=$((i + 1))
    done
    stop b
    same "B, told of its removal, stopped by itself" "$stopped" "exit 1"
else
    # It may hear of its removal only now (see above), and stop by itself
    # as it is told to stop: then it says so and exits 1.
    stop b
    if grep -q 'removed from the shop' "$WORK/syncd.b.log"; then
        same "B, told of its removal as it was stopped, stopped by itself" "$stopped" "exit 1"
    else
        same "syncd of till b stops cleanly on TERM" "$stopped" "exit 0"
    fi
fi
for x in a c; do
    mark=$(grep -c 'stopping' "$WORK/syncd.$x.log")
    stop $x
    same "syncd of till $x stops cleanly on TERM" "$stopped" "exit 0"
    same "and says so in its log" "$(grep -c 'stopping' "$WORK/syncd.$x.log")" "$((mark + 1))"
done

# --- cut off: spending points is limited, a coupon used twice is reported ------
# All syncds are stopped now: A and C each have another till and hear none.
# offline.after_minutes decides when a running syncd that has heard no
# till for a while means offline: a stand-in process "runs" and a status
# file as syncd writes it says C was last heard 3 minutes ago.
sleep 300 & standin=$!
PIDS="$PIDS $standin"
ORIGIN_C=$(sqlite3 "$C" "SELECT value FROM local WHERE key = 'origin'")
heard_ago() {
    now=$(date +%s%3N)
    printf 'tally-sync-status 1\npid\t%d\nupdated\t%s\norigin\t%s\naddress\t127.0.0.1:1\napplied\t0\nstrangers\t0\npeer\t%s\t0\t%s\t0\t0\t0\t0\t0\t0\t0\t0\t127.0.0.1:2\tKasa 3\t\n' \
        "$standin" "$now" "$(sqlite3 "$A" "SELECT value FROM local WHERE key = 'origin'")" "$ORIGIN_C" "$((now - $1))" >"$A-sync.status"
}
"$T" --db "$A" customer add --name "Klient w sieci" --phone 600000008 >/dev/null
"$T" --db "$A" adjust 600000008 +300 --reason "opening balance" >/dev/null
"$T" --db "$A" program set offline.after_minutes 10 >/dev/null
heard_ago 180000
run "last heard 3 min ago, offline.after_minutes 10: a redemption" "$T" --db "$A" redeem 600000008 Kawa
same "passes as online" "$(printf '%s\n' "$OUT" | grep -c OFFLINE)" 0
"$T" --db "$A" program set offline.after_minutes 2 >/dev/null
heard_ago 180000
run "with offline.after_minutes 2 the same redemption" "$T" --db "$A" redeem 600000008 Kawa
has "is made offline" "OFFLINE: last sync 3 min ago"
kill "$standin"
rm -f "$A-sync.status"
"$T" --db "$A" program set offline.redeem_limit 6 >/dev/null
"$T" --db "$A" customer add --name "Klient offline" --phone 600000009 >/dev/null
"$T" --db "$A" adjust 600000009 +300 --reason "opening balance" >/dev/null
run "offline, a first redemption passes" "$T" --db "$A" redeem 600000009 Kawa
has "and the barista is told the till is offline" "OFFLINE"
refuse "offline, spending past the daily limit is refused" "offline" "$T" --db "$A" redeem 600000009 Kawa
run "a manager overrides it with a reason" "$T" --db "$A" redeem 600000009 Kawa --override "regular, known to us"
refuse "paying with points offline counts too" "offline" "$T" --db "$A" pay 600000009 200
start a
start c
CODE=$("$T" --db "$A" coupon issue --discount 5,00 | sed -n 's/Coupon \(.*\) issued./\1/p')
RAW=$(printf '%s' "$CODE" | tr -d '-')
i=0
while [ $i -lt $((LIMIT * 5)) ] && [ "$(sqlite3 "$C" "SELECT count(*) FROM coupons WHERE code = '$RAW' AND expires > 0")" != 1 ]; do
    sleep 0.2; i=$((i + 1))
done
same "the coupon reached C" "$(sqlite3 "$C" "SELECT count(*) FROM coupons WHERE code = '$RAW' AND expires > 0")" 1
stop a
stop c
run "cut off, A takes the coupon" "$T" --db "$A" coupon redeem "$CODE" --card 600000003
run "and so does C" "$T" --db "$C" coupon redeem "$CODE" --card 600000001
start a
start c
uses() { sqlite3 "$1" "SELECT uses FROM coupons WHERE code = '$RAW'"; }
i=0
while [ $i -lt $((LIMIT * 5)) ] && { [ "$(uses "$A")" != 2 ] || [ "$(uses "$C")" != 2 ] ||
                                    [ "$(digest "$A")" != "$(digest "$C")" ]; }; do
    sleep 0.2; i=$((i + 1))
done
same "after they reconnect both tills hold both uses" "$(uses "$A") $(uses "$C")" "2 2"
same "A and C agree again" "$(digest "$A")" "$(digest "$C")"
run "the double use is reported by tally check" "$T" --db "$A" check
has "as a coupon used twice" "used 2 times"
run "and in the coupon list" "$T" --db "$C" coupon list
has "marked USED TWICE" "USED TWICE"

# Corrections made at tills cut off from each other (issue 13, 5 and 1).
# Refunds of 80,00 at A and at C of one purchase of 100,00: both stand, but
# the purchase counts for nothing at every till - no spend, no points, no
# sale below zero - and check and the overdrafts name the 60,00 over it.
# A voids a purchase while C voids its refund: the purchase stays void.
held() { sqlite3 "$1" "SELECT count(*) FROM events WHERE origin || ':' || seq = '$2'"; }
ref() { printf '%s\n' "$OUT" | sed -n 's/^Event \([0-9a-f]*:[0-9]*\):.*/\1/p' | head -n 1; }
figures() {     # figures DB: the day's summary figures that a purchase makes
    "$T" --db "$1" --format json report summary --last 1d | python3 -c 'import json, sys
d = json.load(sys.stdin)["current"]
print(" ".join(str(d[k]) for k in ("visits", "sales", "points_issued", "points_outstanding")))'
}
person() { "$T" --db "$1" --format json customer show "$2" | sed -n 's/.*"points":\(-*[0-9]*\),.*"spend":"\([^"]*\)".*/\1 points, spent \2/p'; }
"$T" --db "$A" customer add --name "Klient zwrot" --phone 600000010 >/dev/null
"$T" --db "$A" customer add --name "Klient void" --phone 600000011 >/dev/null
before=$(figures "$A")
run "a purchase of 100,00 at A" "$T" --db "$A" earn 600000010 100,00
big=$(ref)
run "a purchase of 40,00 at A" "$T" --db "$A" earn 600000011 40,00
small=$(ref)
run "15,00 of it refunded" "$T" --db "$A" refund "$small" 15,00
back=$(ref)
i=0
while [ $i -lt $((LIMIT * 5)) ] && [ "$(held "$C" "$back")$(held "$C" "$big")" != 11 ]; do
    sleep 0.2; i=$((i + 1))
done
same "C holds the purchases and the refund" "$(held "$C" "$back")$(held "$C" "$big")" 11
stop c
run "cut off, A refunds 80,00 of the 100,00" "$T" --db "$A" refund "$big" 80,00
run "and so does C" "$T" --db "$C" refund "$big" 80,00
run "A voids the purchase of 40,00" "$T" --db "$A" void "$small" --reason "wrong card"
run "while C voids its refund" "$T" --db "$C" void "$back" --reason "not returned"
start c
i=0
while [ $i -lt $((LIMIT * 5)) ] && { [ "$(count "$A")" != "$(count "$C")" ] || [ "$(digest "$A")" != "$(digest "$C")" ]; }; do
    sleep 0.2; i=$((i + 1))
done
same "after they reconnect A and C agree" "$(digest "$A")" "$(digest "$C")"
for x in A C; do
    eval "db=\$$x"
    same "$x: both refunds stand" "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE type = 'refund' AND ref_origin || ':' || ref_seq = '$big'")" 2
    same "$x: the purchase refunded beyond it counts for nothing, not -60,00" "$(person "$db" 600000010)" "0 points, spent 0.00"
    same "$x: the voided purchase stays void" "$(person "$db" 600000011)" "0 points, spent 0.00"
    same "$x: the day's visits, sales and points are as before both purchases" "$(figures "$db")" "$before"
    OUT=$("$T" --db "$db" check 2>&1)
    has "$x: tally check names the refund over the purchase" "purchase $big .*refunded 60.00 PLN more than it came to"
    run "$x: report overdrafts" "$T" --db "$db" report overdrafts --last 1d
    has "$x: counts the purchase refunded beyond it" "^1 purchase refunded beyond its amount"
    has "$x: and shows the excess like an overdraft" "refund .*purchase *-80.00 zł *-60.00 zł"
done
# The independent recomputation (oracle.py) from A's events agrees with
# every figure of A's reports, these corrections and all of this shop's.
today=$(date +%Y-%m-%d)
OUT=$(env TALLY_DB="$A" python3 "$E2E_DIR/oracle.py" "$T" "$(sqlite3 "$A" "SELECT value FROM local WHERE key = 'origin'")" \
      "$today:$today" "$(date -d '-6 days' +%Y-%m-%d):$today" -- "$today" 2>&1)
has "the oracle recomputes A's reports from its events alike" "^[0-9][0-9][0-9]* figures compared, 0 differ"

# A quiet syncd folds the report rollups' visits log into roll_cust, and
# the figures stay what they were. First the log of everything so far.
# With a busy timeout, as lib.sh's sql(): the running syncd writes too.
logged() { sqlite3 -cmd ".timeout 5000" "$1" "SELECT count(*) FROM roll_log"; }
i=0
while [ $i -lt $((LIMIT * 10)) ] && [ "$(logged "$A")" != 0 ]; do
    sleep 0.2; i=$((i + 1))
done
same "a running, quiet syncd folds the visits log" "$(logged "$A")" 0
stop a
for p in 600000001 600000002 600000003; do "$T" --db "$A" earn $p 10,00 >/dev/null; done
same "sales made while syncd is stopped wait in the visits log" "$(logged "$A")" 3
before=$("$T" --db "$A" --format json report summary --last 30d 2>&1)
start a
i=0
while [ $i -lt $((LIMIT * 5)) ] && [ "$(logged "$A")" != 0 ]; do
    sleep 0.2; i=$((i + 1))
done
same "a quiet syncd folds the visits log" "$(logged "$A")" 0
same "and the summary is what it was" "$("$T" --db "$A" --format json report summary --last 30d 2>&1)" "$before"
# A till that sells more than once a second all day never has a quiet
# second; syncd folds a little every two seconds all the same once the log
# has grown long (here: 3,000 rows of nothing, added in the busy spell):
# the log shrinks although every sale adds to it.
"$T" --db "$A" earn 600000001 1,00 >/dev/null
sqlite3 -cmd ".timeout 5000" "$A" "INSERT INTO roll_log(customer, wall, till, visits, spend, tspend)
  WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < 3000)
  SELECT (SELECT id FROM customers LIMIT 1), 1000 + x, 'ffffffff', 0, 0, 0 FROM k"
busy_fold=no i=0 was=$(logged "$A")
while [ $i -lt 36 ] && [ $busy_fold = no ]; do
    "$T" --db "$A" earn 60000000$((i % 3 + 1)) 1,00 >/dev/null || break
    sleep 0.2
    now=$(logged "$A")
    [ "$now" -lt "$was" ] && busy_fold=yes
    was=$now i=$((i + 1))
done
same "a busy till folds the visits log while selling" "$busy_fold" yes
for x in a c; do stop $x; done
