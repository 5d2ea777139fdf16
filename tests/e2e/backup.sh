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
sleep 0.3
run "backup during a stream of writes" $T backup "$WORK/live.db"
wait $writer
same "the backup is private (0600)" "$(stat -c %a "$WORK/live.db")" 600
run "the backup checks clean" env TALLY_DB="$WORK/live.db" $T check
N=$(sqlite3 "$WORK/live.db" "SELECT count(*) FROM events")
[ "$N" -gt 4 ] && [ "$N" -le "$(sql "SELECT count(*) FROM events")" ] && pass "it holds a prefix of the ledger ($N events)" || fail "backup holds $N events"
same "with no gap" "$(sqlite3 "$WORK/live.db" "SELECT max(seq) - count(*) FROM events")" 0
run "a quiet backup" $T backup "$WORK/quiet.db"
same "a quiet backup has the same digest" "$(env TALLY_DB="$WORK/quiet.db" $T digest)" "$($T digest)"

# Rotation keeps the newest backups only.
mkdir -p "$WORK/rot"
for i in 1 2 3 4; do touch "$WORK/rot/tally-2020010$i-000000.db"; done
timeout 5 $T backup --every 1h --keep 3 "$WORK/rot" >/dev/null 2>&1
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

# Damage is found and said in words.
sql "UPDATE customers SET points = points + 500 WHERE phone = '600000001'"
refuse "a balance changed by hand is found" "is not the sum of their events" $T check
sql "UPDATE customers SET points = points - 500 WHERE phone = '600000001'"
sql "UPDATE events SET data = '{\"items\":99}' WHERE type = 'earn' AND origin = '$NEW'"
refuse "an event changed by hand is found" "does not match its content hash" $T check
run "check as JSON" sh -c "$T --format json check || true"
has "JSON findings" '"level":"error"'
