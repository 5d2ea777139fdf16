#!/bin/sh
# Backups while the till keeps writing, restoring one safely, and tally
# check telling a healthy ledger from a damaged one.
. "$(dirname "$0")/lib.sh"
T=$TALLY
env TALLY_NEW_PIN=2468 $T init --shop Cukiernia --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
$T program set limits.per_day 0 >/dev/null
$T customer add --name "Anna" --phone 600000001 >/dev/null
$T customer add --name "Ola" --phone 600000002 >/dev/null

run "a healthy ledger checks clean" $T check
has "it says what it checked" "equal the sums of their events"

# A backup taken while another process keeps writing.
(i=0; while [ $i -lt 60 ]; do $T earn 600000001 1,00 >/dev/null 2>&1; i=$((i + 1)); done) &
writer=$!
earns() { sqlite3 -cmd ".timeout 5000" "$1" "SELECT count(*) FROM events WHERE type = 'earn'"; }
i=0     # the stream has begun: a backup from before it proves nothing
while [ $i -lt 100 ] && [ "$(earns "$TALLY_DB")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
STARTED=$(earns "$TALLY_DB")
[ "$STARTED" -ge 2 ] && pass "the writer is writing" || fail "the writer wrote $STARTED sales in 10 s"
run "backup during a stream of writes" $T backup "$WORK/live.db"
wait $writer
same "the backup is private (0600)" "$(stat -c %a "$WORK/live.db")" 600
run "the backup checks clean" env TALLY_DB="$WORK/live.db" $T check
N=$(sqlite3 "$WORK/live.db" "SELECT count(*) FROM events")
[ "$(earns "$WORK/live.db")" -ge "$STARTED" ] && pass "it holds the sales made before it began" ||
    fail "the backup has $(earns "$WORK/live.db") sales, $STARTED were made before it began"
hashes() { sqlite3 -cmd ".timeout 5000" "$1" "SELECT group_concat(hex(hash), '') FROM (SELECT hash FROM events ORDER BY origin, seq LIMIT $N)"; }
same "it holds a prefix of the ledger ($N events)" "$(hashes "$WORK/live.db")" "$(hashes "$TALLY_DB")"
same "with no gap" "$(sqlite3 "$WORK/live.db" "SELECT max(seq) - count(*) FROM events")" 0
run "a quiet backup" $T backup "$WORK/quiet.db"
same "a quiet backup has the same digest" "$(env TALLY_DB="$WORK/quiet.db" $T digest)" "$($T digest)"

# Rotation keeps the newest backups only.
mkdir -p "$WORK/rot"
for i in 1 2 3 4; do touch "$WORK/rot/tally-2020010$i-000000.db"; done
# It backs up, rotates and says so, then sleeps an hour: stop it once it
# has said so (a fixed 5 s was too short for a loaded machine).
$T backup --every 1h --keep 3 "$WORK/rot" >"$WORK/rot.out" 2>&1 &
every=$!
i=0
while [ $i -lt 600 ] && ! grep -q "Backed up to" "$WORK/rot.out"; do sleep 0.1; i=$((i + 1)); done
kill "$every"; wait "$every"
has_rot=$(grep -c "Backed up to $WORK/rot/tally-" "$WORK/rot.out")
same "backup --every says what it wrote" "$has_rot" 1
same "rotation keeps the newest 3" "$(ls "$WORK/rot" | wc -l)" 3
[ -f "$WORK/rot/tally-20200101-000000.db" ] && fail "the oldest backup was kept" || pass "the oldest backups went"

# Restore.
echo "not a database" >"$WORK/junk.db"
refuse "restoring a file that is not a backup is refused" "not a tally database" $T restore "$WORK/junk.db"
env TALLY_DB="$WORK/other.db" TALLY_NEW_PIN=1111 $T init --shop Other --currency PLN --manager Ola >/dev/null
refuse "restoring another shop's backup is refused" "another shop" $T restore "$WORK/other.db"
env TALLY_NEW_PIN=1111 $T staff add Bogdan >/dev/null
refuse "a barista cannot restore" "manager" env TALLY_STAFF=Bogdan TALLY_PIN=1111 $T restore "$WORK/quiet.db"
OLD=$(sql "SELECT value FROM local WHERE key = 'origin'")
$T earn 600000002 9,99 >/dev/null     # made after the backup: gone after the restore
run "restore the quiet backup" $T restore "$WORK/quiet.db"
has "it says the till goes on under a new id" "goes on as"
same "the ledger is the backup's" "$($T digest)" "$(env TALLY_DB="$WORK/quiet.db" $T digest)"
ls "$TALLY_DB".before-restore-* >/dev/null 2>&1 && pass "the database before the restore was kept" || fail "no safety copy"
NEW=$(sql "SELECT value FROM local WHERE key = 'origin'")
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] && pass "the till continues under a new origin" || fail "origin unchanged: $OLD"
run "the restored till takes new sales" $T earn 600000002 2,00
same "new events use the new origin from seq 1" "$(sql "SELECT origin || ':' || seq FROM events WHERE type = 'earn' ORDER BY hlc DESC LIMIT 1")" "$NEW:1"
same "the old origin's sequence is remembered" "$(sql "SELECT seq FROM vv WHERE origin = '$OLD'")" "$(sql "SELECT max(seq) FROM events WHERE origin = '$OLD'")"
run "after the restore the ledger checks clean" $T check

# --db with no path is a mistake, never the default database (issue 13, 9).
refuse "--db with an empty path is refused" "needs the path" $T --db "" check
refuse "also after the command" "needs the path" $T check --db ""

# A check that cannot run is an error, said in words (issue 13, 7).
cp "$WORK/quiet.db" "$WORK/broken.db"
sqlite3 "$WORK/broken.db" "DROP TABLE occasions"
refuse "a check that cannot run fails" "could not be checked: .*occasions" env TALLY_DB="$WORK/broken.db" $T check

# Balances no shop can reach are noticed (issue 13, 6).
env TALLY_DB="$WORK/rich.db" TALLY_NEW_PIN=2468 $T init --shop Rich --currency PLN --manager Mira >/dev/null
env TALLY_DB="$WORK/rich.db" $T customer add --name Rich --phone 600000009 >/dev/null
env TALLY_DB="$WORK/rich.db" $T program set points.per_unit 600 >/dev/null
env TALLY_DB="$WORK/rich.db" $T earn 600000009 1000000 >/dev/null
env TALLY_DB="$WORK/rich.db" $T earn 600000009 1000000 >/dev/null
refuse "an absurd balance is an error" "beyond anything a shop can give" env TALLY_DB="$WORK/rich.db" $T check

# A database this user may only read: check, events and reports work,
# a write says why it cannot (issue 13, 9). Root may write anything, so
# as root the reader is nobody.
RO=env
if [ "$(id -u)" = 0 ]; then RO="runuser -u nobody -- env"; chmod 0711 "$WORK"; fi
for folder in read-only writable; do
    mkdir "$WORK/ro-$folder"
    sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    cp "$TALLY_DB" "$WORK/ro-$folder/shop.db"
    [ "$(id -u)" = 0 ] && chown -R nobody "$WORK/ro-$folder"
    chmod 0400 "$WORK/ro-$folder/shop.db"
    [ $folder = read-only ] && chmod 0555 "$WORK/ro-$folder"
    R="$RO TALLY_DB=$WORK/ro-$folder/shop.db"
    run "check a read-only database ($folder folder)" $R $T check
    has "it checked the balances" "equal the sums of their events"
    run "list its events ($folder folder)" $R $T events
    run "report on it ($folder folder)" $R TALLY_STAFF=Mira TALLY_PIN=2468 $T report summary --last 1d
    refuse "a write to it is refused ($folder folder)" "read-only: nothing was saved" $R $T earn 600000002 1,00
    chmod 0755 "$WORK/ro-$folder"
done
chmod 0700 "$WORK"

# A backup to a full disk leaves no part of itself behind: every size of a
# small disk, from too small for the copy to just too small for its
# journal (issue 13, 9).
if [ "$(id -u)" = 0 ] && mkdir "$WORK/full" && mount -t tmpfs -o size=4k tmpfs "$WORK/full" 2>/dev/null; then
    kb=$(( $(stat -c %s "$TALLY_DB") / 1024 ))
    left="" full=0
    for extra in -8 0 4 8 12 16 20 24 28 32 36 40; do
        mount -o remount,size=$((kb + extra))k "$WORK/full"
        if OUT=$($T backup "$WORK/full/bk.db" 2>&1); then rm -f "$WORK/full/bk.db"
        else printf '%s\n' "$OUT" | grep -q "disk is full" && full=$((full + 1)); fi
        left="$left$(ls "$WORK/full")"
        rm -f "$WORK/full"/*
    done
    umount "$WORK/full"
    [ "$full" -gt 0 ] && pass "a backup to a full disk says so ($full sizes)" || fail "no backup ran out of disk"
    same "and leaves no partial file, journal or WAL" "$left" ""
else
    echo "SKIP: a backup to a full disk (needs root to mount a small disk)"
fi

# Damage is found and said in words.
sql "UPDATE customers SET points = points + 500 WHERE phone = '600000001'"
refuse "a balance changed by hand is found" "is not the sum of their events" $T check
refuse "in Polish the error is a BŁĄD" "BŁĄD" env LANG=pl_PL.UTF-8 $T check
aligned "and its message lines up with the others" '^[^ ]+ +([^ ])'
sql "UPDATE customers SET points = points - 500 WHERE phone = '600000001'"
sql "UPDATE events SET data = '{\"items\":99}' WHERE type = 'earn' AND origin = '$NEW'"
refuse "an event changed by hand is found" "does not match its content hash" $T check
run "check as JSON" sh -c "$T --format json check || true"
has "JSON findings" '"level":"error"'
