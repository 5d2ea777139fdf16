#!/bin/sh
# A dishonest till with a valid key speaks for another till. Three tills
# of one shop (A, B, D), each with its own 'tally syncd' on 127.0.0.1.
# With B's and D's syncd stopped, tests/tools/dishonest_till takes D's
# place (D's database: its CURVE and signing keys, its address) and, with
# the project's own wire code, claims to hold more of B's events than B
# made and serves A events it makes up under B's origin, unsigned or
# signed with D's own key. A must apply none of them, count and show the
# refusal in 'tally sync status' and log it, and the shop must go on as
# before once B and D are back. A imported purchases before its syncd
# first ran: the import's events, under an origin of their own that A
# vouches for, reach B and D; then D claims that import as its own (a
# vouch of its own, which every till ignores and 'tally check' names) and
# makes up events under it, which A refuses as it refuses B's. Every wait
# has a time bound.
. "$(dirname "$0")/lib.sh"
T=$TALLY
DISHONEST=$(dirname "$T")/tools/dishonest_till
HB=300
LIMIT=${SYNC_WAIT:-60}
kill_pids_on_exit

[ -x "$DISHONEST" ] || { fail "no $DISHONEST: build it with 'make units'"; exit 1; }
export TALLY_STAFF=Mira TALLY_PIN=2468
unset TALLY_DB
A=$WORK/a.db B=$WORK/b.db D=$WORK/d.db

start() {   # start X: syncd of till X (a, b, d); its pid in pid_X
    eval "db=\$$(echo "$1" | tr abd ABD)"
    "$T" --db "$db" syncd --listen 127.0.0.1:0 --heartbeat-ms $HB 2>>"$WORK/syncd.$1.log" &
    eval "pid_$1=$!"
    PIDS="$PIDS $!"
}
stop() {    # stop X: TERM, and wait until it is gone
    eval "p=\$pid_$1"
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}
address() {
    i=0
    while [ $i -lt 100 ]; do
        a=$("$T" --db "$1" --format json sync status 2>/dev/null | sed -n 's/.*"address":"\([^"]*\)".*/\1/p' | head -n 1)
        [ -n "$a" ] && { echo "$a"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
origin_of() { sqlite3 "$1" "SELECT value FROM local WHERE key = 'origin'"; }
top() { sqlite3 "$1" "SELECT coalesce(max(seq), 0) FROM events WHERE origin = '$2'"; }
# wait_for "what" CMD...: until CMD succeeds, LIMIT seconds at most.
wait_for() {
    what=$1; shift
    i=0
    while [ $i -lt $((LIMIT * 5)) ]; do
        "$@" && return 0
        sleep 0.2
        i=$((i + 1))
    done
    fail "$what: not within ${LIMIT}s"
    return 1
}
same_events() {
    [ "$("$T" --db "$A" digest)" = "$("$T" --db "$1" digest)" ] &&
        [ "$(sqlite3 "$A" 'SELECT count(*) FROM events')" = "$(sqlite3 "$1" 'SELECT count(*) FROM events')" ]
}

env TALLY_NEW_PIN=2468 "$T" --db "$A" init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
"$T" --db "$A" customer add --name "Klient" --phone 600000001 --consent yes >/dev/null
printf 'phone;amount\n600000001;4,00\n600000001;5,00\n' >"$WORK/tx.csv"
run "A imports before its syncd first runs (no signing key yet)" "$T" --db "$A" import transactions "$WORK/tx.csv"
IMPORT=$(sqlite3 "$A" "SELECT substr(key, 10) FROM local WHERE key LIKE 'imported.%'")
start a
ADDR_A=$(address "$A") || { fail "syncd of till A never said where it listens"; exit 1; }
for x in b d; do
    eval "db=\$$(echo "$x" | tr bd BD)"
    tok=$("$T" --db "$A" --format json till invite | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    run "till $x joins" "$T" --db "$db" till join "$ADDR_A" "$tok" --name "till $x" --listen 127.0.0.1:0
    start $x
done
wait_for "B holds what A holds" same_events "$B" && wait_for "D holds what A holds" same_events "$D" &&
    pass "three tills hold the shop"
signer() { sqlite3 "$1" "SELECT hex(sign_key) FROM signers WHERE origin = '$2'"; }
ORIGIN_A=$(origin_of "$A")
IMPORT_TOP=$(top "$A" "$IMPORT")
same "A's import ($IMPORT) is 2 purchases" "$(sqlite3 "$A" "SELECT count(*) FROM events WHERE origin = '$IMPORT' AND type = 'earn'")" 2
same "B holds A's import" "$(top "$B" "$IMPORT"),$(signer "$B" "$IMPORT")" "$IMPORT_TOP,$(signer "$A" "$ORIGIN_A")"
same "D holds it, as A's word" "$(top "$D" "$IMPORT"),$(signer "$D" "$IMPORT")" "$IMPORT_TOP,$(signer "$A" "$ORIGIN_A")"
run "B sells" "$T" --db "$B" earn 600000001 12,00
wait_for "A has B's sale" same_events "$B" && pass "A has B's sale"
ORIGIN_B=$(origin_of "$B")
REAL_TOP=$(top "$B" "$ORIGIN_B")
same "A holds B's events up to $REAL_TOP" "$(top "$A" "$ORIGIN_B")" "$REAL_TOP"
run "A knows B's signing key" sqlite3 "$A" "SELECT first_seq FROM signers WHERE origin = '$ORIGIN_B'"
has "and signs from its first event" "^1$"

# B is off: only D (dishonest) could pass on B's events now.
stop b
stop d
"$DISHONEST" "$D" "$ORIGIN_B" "$LIMIT" >"$WORK/dishonest.out" 2>&1 &
dishonest=$!
PIDS="$PIDS $dishonest"
refused_signature() {
    "$T" --db "$A" --format json sync status 2>/dev/null | grep -q '"signature":[1-9]'
}
wait_for "A refuses what D makes up under B's origin" refused_signature && pass "A counts D's made-up events as refused (signature)"
kill "$dishonest" 2>/dev/null
wait "$dishonest" 2>/dev/null
has_served() { grep -q 'served [1-9]' "$WORK/dishonest.out"; }
if has_served; then pass "D served made-up events ($(cat "$WORK/dishonest.out"))"; else fail "D served nothing: $(cat "$WORK/dishonest.out")"; fi
same "A holds none of them: B's events still end at $REAL_TOP" "$(top "$A" "$ORIGIN_B")" "$REAL_TOP"
same "nothing of them is in A's ledger" "$(sqlite3 "$A" "SELECT count(*) FROM events WHERE data LIKE '%\"value\":\"90%'")" 0
run "sync status on A" "$T" --db "$A" sync status
has "says which till spoke for another" "till d .*"
has "and that it was refused" "did not sign"
has "and why" "not signed by that till's key\|without its signature\|does not follow"
if grep -q "(signature)" "$WORK/syncd.a.log"; then pass "A's log says so"; else fail "A's log has no signature refusal: $(tail -n 3 "$WORK/syncd.a.log")"; fi

# D claims A's import as its own and makes up events under it.
signatures() {
    "$T" --db "$A" --format json sync status 2>/dev/null | grep -o '"signature":[0-9]*' | cut -d: -f2 | sort -n | tail -n 1
}
BEFORE=$(signatures)
"$DISHONEST" "$D" "$IMPORT" "$LIMIT" vouch >"$WORK/dishonest.out" 2>&1 &
dishonest=$!
PIDS="$PIDS $dishonest"
more_refused() { [ "$(signatures)" -gt "$BEFORE" ]; }
wait_for "A refuses what D makes up under A's import" more_refused &&
    pass "A counts D's made-up events under its import as refused (signature)"
kill "$dishonest" 2>/dev/null
wait "$dishonest" 2>/dev/null
if has_served; then pass "D served made-up import events ($(cat "$WORK/dishonest.out"))"; else fail "D served nothing: $(cat "$WORK/dishonest.out")"; fi
same "A holds none of them: its import still ends at $IMPORT_TOP" "$(top "$A" "$IMPORT")" "$IMPORT_TOP"

# B and D back: the shop goes on as before.
start b
start d
run "B sells again" "$T" --db "$B" earn 600000001 3,00
wait_for "A has it" same_events "$B" && wait_for "and D" same_events "$D" && pass "A, B and D agree again"
# D's claim reached every till with D's events, and bound nothing.
for x in A B D; do
    eval "db=\$$x"
    same "$x: the import is still A's word" "$(signer "$db" "$IMPORT")" "$(signer "$A" "$ORIGIN_A")"
done
ORIGIN_D=$(origin_of "$D")
refuse "tally check on B names D's claim" "till $ORIGIN_D claimed to speak for $IMPORT" "$T" --db "$B" check
same "no forks anywhere" "$(for d in "$A" "$B" "$D"; do sqlite3 "$d" 'SELECT count(*) FROM forks'; done | tr '\n' ' ')" "0 0 0 "
for x in a b d; do stop $x; done
