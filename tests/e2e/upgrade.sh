#!/bin/sh
# Upgrades: tests/fixtures/v1.sql is a shop made by the first schema
# (tests/fixtures/make-v1.sh). Loaded into a fresh database file, the
# current tally must open it (migrating it in one go if the schema has
# moved on), find it healthy, and show every balance recorded in the
# fixture unchanged. A second schema-1 shop, four seeded months
# (tests/fixtures/v1-seeded.sql), reports after the migration what the
# schema-1 tally reported, and what the oracle recomputes from its events.
# A database claiming a newer schema is refused with the message to
# upgrade tally, and left as it was.
. "$(dirname "$0")/lib.sh"
T=$TALLY
FIX=$REPO/tests/fixtures/v1.sql
[ -f "$FIX" ] || { fail "no fixture $FIX"; exit 1; }
if sqlite3 "$TALLY_DB" <"$FIX" 2>"$WORK/load.err" && [ ! -s "$WORK/load.err" ]; then
    pass "the v1 dump loads into a fresh database"
else
    fail "loading the v1 dump: $(cat "$WORK/load.err")"
fi
same "it claims schema version 1" "$(sql "PRAGMA user_version")" 1
export TALLY_STAFF=Mira TALLY_PIN=2468

run "the current tally checks it clean" $T check
# The current schema is the one a new shop gets.
env TALLY_DB="$WORK/new.db" TALLY_NEW_PIN=2468 $T init --shop New --currency PLN --manager Mira >/dev/null
current=$(sqlite3 "$WORK/new.db" "PRAGMA user_version")
[ "$current" -gt 1 ] || fail "a new shop is at schema $current: this script expects a migration from 1"
same "opened and at the current schema ($current)" "$(sql "PRAGMA user_version")" "$current"
same "no event lost or added" "$(sql "SELECT count(*) FROM events")" \
    "$(sed -n 's/^-- expect events //p' "$FIX")"
run "digest" $T digest
same "the ledger's digest is unchanged" "$OUT" "$(sed -n 's/^-- expect digest //p' "$FIX")"

n=0
while read -r _ _ _ id pts stp cre; do
    OUT=$($T --format json customer show "$id" 2>&1) || { fail "customer show $id: $OUT"; continue; }
    got=$(printf '%s\n' "$OUT" | sed -n 's/^{"id":"[0-9a-f]*".*"points":\(-\{0,1\}[0-9]*\),"stamps":\(-\{0,1\}[0-9]*\),"credit":"\([^"]*\)".*/points=\1 stamps=\2 credit=\3/p')
    same "customer $id: balance unchanged" "$got" "$pts $stp $cre"
    n=$((n + 1))
done <<EOF2
$(grep '^-- expect customer ' "$FIX")
EOF2
[ $n -ge 4 ] && pass "every customer of the fixture compared ($n)" || fail "only $n customers compared"
run "the customer is found by phone too" $T customer show 600000101
has "with their name" "Anna Testowa"

# The report figures: the same as the schema-1 tally gave on this dump
# (the report rollups of schema 2 are filled from the events held).
n=0
while IFS='|' read -r args json; do
    # shellcheck disable=SC2086
    OUT=$(env TZ=UTC $T --format json report summary $args 2>&1)
    same "report summary $args: as before the upgrade" "$OUT" "$json"
    n=$((n + 1))
done <<EOF2
$(sed -n 's/^-- expect report summary //p' "$FIX")
EOF2
[ $n -ge 4 ] && pass "every report of the fixture compared ($n)" || fail "only $n reports compared"

# The upgraded till keeps working: a sale, then a clean check.
run "a sale on the upgraded database" $T earn 600000104 10,00
run "still clean after it" $T check

# With sync: at its first start the upgraded till gets a signing key and
# signs from its next event on (its history stays unsigned), and a till
# that joins it gets all of that history and its signed events alike.
ORIGIN=$(sql "SELECT value FROM local WHERE key = 'origin'")
history=$(sql "SELECT max(seq) FROM events WHERE origin = '$ORIGIN'")
$T syncd --listen 127.0.0.1:0 --heartbeat-ms 300 2>>"$WORK/syncd.a.log" & pid_a=$!
trap 'kill $pid_a $pid_b 2>/dev/null; rm -rf "$WORK"' EXIT
pid_b=
signed_from() { sqlite3 "$TALLY_DB" "SELECT first_seq FROM signers WHERE origin = '$ORIGIN'" 2>/dev/null; }
i=0
while [ $i -lt 300 ] && [ -z "$(signed_from)" ]; do sleep 0.2; i=$((i + 1)); done
first=$(signed_from)
same "at its first start it signs from after its history" "$([ -n "$first" ] && [ "$first" -gt "$history" ] && echo yes)" yes
same "its record names its signing key" \
    "$(sql "SELECT json_extract(data, '$.value.signed_from') FROM events WHERE origin = '$ORIGIN' AND seq = $first")" "$first"
address=""
i=0
while [ $i -lt 100 ] && [ -z "$address" ]; do
    address=$($T --format json sync status 2>/dev/null | sed -n 's/.*"address":"\([^"]*\)".*/\1/p' | head -n 1)
    sleep 0.1; i=$((i + 1))
done
tok=$($T --format json till invite | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
run "a new till joins the upgraded one" $T --db "$WORK/joined.db" till join "$address" "$tok" --listen 127.0.0.1:0
$T --db "$WORK/joined.db" syncd --heartbeat-ms 300 2>>"$WORK/syncd.b.log" & pid_b=$!
run "a sale after the upgrade, signed" $T earn 600000104 2,00
i=0
while [ $i -lt 300 ] && { [ "$($T digest)" != "$($T --db "$WORK/joined.db" digest 2>&1)" ] ||
                          [ "$(sql "SELECT count(*) FROM events")" != "$(sqlite3 "$WORK/joined.db" "SELECT count(*) FROM events")" ]; }; do
    sleep 0.2; i=$((i + 1))
done
same "the joined till holds the unsigned history and the signed events alike" \
    "$(sqlite3 "$WORK/joined.db" "SELECT count(*) FROM events WHERE origin = '$ORIGIN'")" \
    "$(sql "SELECT count(*) FROM events WHERE origin = '$ORIGIN'")"
same "and the same state" "$($T --db "$WORK/joined.db" digest)" "$($T digest)"
same "nothing refused" "$($T --format json sync status | grep -c '"signature":[1-9]\|"event":[1-9]')" 0
kill $pid_a $pid_b 2>/dev/null
wait $pid_a $pid_b 2>/dev/null

# The rollups kept as events are applied equal rollups built afresh from
# the events: a copy taken back to schema 1 and upgraded again reports
# the same figures, for the whole shop and for its till.
sqlite3 "$TALLY_DB" ".backup '$WORK/rebuilt.db'"
sqlite3 "$WORK/rebuilt.db" "DROP TABLE roll_cust; DROP TABLE roll_till; DROP TABLE roll_log; DROP TABLE lot_adjust; DROP INDEX events_use; DROP INDEX events_enrol; DROP TABLE contact; DROP TABLE outbox; DROP TABLE templates; DROP TABLE signers; DROP TABLE chain; DROP TABLE import_staged; DROP TABLE campaigns; DROP TABLE campaign_members; DROP INDEX coupons_campaign; ALTER TABLE coupons DROP COLUMN campaign; ALTER TABLE rewards DROP COLUMN tier; ALTER TABLE promos DROP COLUMN tier; DROP TABLE roll_member; DROP TABLE roll_use; DROP INDEX events_coupon_use; ALTER TABLE customers DROP COLUMN till; DROP TABLE trigger_notes; DROP TABLE roll_balance; PRAGMA user_version = 1"
till=$(sql "SELECT origin FROM events LIMIT 1")
for args in "--last 1y" "--last 7d" "--last 30d --till $till"; do
    # shellcheck disable=SC2086
    a=$($T --format json report summary $args 2>&1)
    # shellcheck disable=SC2086
    b=$(env TALLY_DB="$WORK/rebuilt.db" $T --format json report summary $args 2>&1)
    same "report summary $args: kept as applied = built afresh" "$a" "$b"
    # shellcheck disable=SC2086
    a=$($T --format json report rewards $args 2>&1)
    # shellcheck disable=SC2086
    b=$(env TALLY_DB="$WORK/rebuilt.db" $T --format json report rewards $args 2>&1)
    same "report rewards $args: kept as applied = built afresh" "$a" "$b"
done
# roll_cust and the rows not yet folded into it (roll_log), summed.
rollups="SELECT * FROM roll_till ORDER BY 1, 2; SELECT customer, wall, till, sum(visits), sum(spend), sum(tspend)
  FROM (SELECT customer, wall, till, visits, spend, tspend FROM roll_cust
        UNION ALL SELECT customer, wall, till, visits, spend, tspend FROM roll_log)
  GROUP BY 1, 2, 3 HAVING sum(visits) <> 0 OR sum(spend) <> 0 OR sum(tspend) <> 0 ORDER BY 1, 2, 3;
  SELECT * FROM roll_use WHERE n <> 0 OR p <> 0 OR st <> 0 OR val <> 0 ORDER BY 1, 2, 3, 4"
a=$(sqlite3 "$TALLY_DB" "$rollups")
b=$(sqlite3 "$WORK/rebuilt.db" "$rollups")
same "the rollup tables too" "$a" "$b"

# Schema 9 (tier perks): a till of an older tally keeps a perk's reward
# and promo events (their tier a field it does not know) and derives them
# as for everyone. Upgraded, it applies the tier they name.
P="$WORK/perks.db"
env TALLY_DB="$P" TALLY_NEW_PIN=2468 $T init --shop Perks --currency PLN --manager Mira >/dev/null
env TALLY_DB="$P" $T program set tiers "Silver:0:1,Gold:100:1" >/dev/null
env TALLY_DB="$P" $T reward add "Free upgrade" --points 1 --tier Gold >/dev/null
env TALLY_DB="$P" $T promo add "Gold week" --multiplier 2 --tier Gold >/dev/null
PCARD=$(env TALLY_DB="$P" $T customer add --name "Ana" | sed -n 's/.*Card code: //p')
env TALLY_DB="$P" $T earn "$PCARD" 50 >/dev/null
sqlite3 "$P" "ALTER TABLE rewards DROP COLUMN tier; ALTER TABLE promos DROP COLUMN tier; DELETE FROM lww WHERE field = 'tier'; DROP TABLE roll_member; DROP TABLE roll_use; DROP INDEX events_coupon_use; DROP INDEX roll_cust_wall; ALTER TABLE customers DROP COLUMN till; DROP TABLE trigger_notes; DROP TABLE roll_balance; PRAGMA user_version = 8"
refuse "upgraded from schema 8, the reward's tier is applied" "perk of Gold" env TALLY_DB="$P" $T redeem "$PCARD" "Free upgrade"
run "so is the promotion's" env TALLY_DB="$P" $T --format json earn "$PCARD" 10
has "a Silver member's purchase is not doubled" '"points":10,'
same "and recorded as the tier's last writer" "$(sqlite3 "$P" "SELECT count(*) FROM lww WHERE field = 'tier'")" 2
run "still clean" env TALLY_DB="$P" $T check

# A database from a newer tally is refused, and not touched.
sqlite3 "$TALLY_DB" ".backup '$WORK/newer.db'"
sqlite3 "$WORK/newer.db" "PRAGMA user_version = 999"
before=$(sqlite3 "$WORK/newer.db" "SELECT count(*) FROM events")
refuse "a newer schema is refused by check" "newer tally.*upgrade tally" env TALLY_DB="$WORK/newer.db" $T check
refuse "and by customer show" "upgrade tally" env TALLY_DB="$WORK/newer.db" $T customer show 600000101
refuse "and by earn" "upgrade tally" env TALLY_DB="$WORK/newer.db" $T earn 600000101 1,00
same "it stays at schema 999" "$(sqlite3 "$WORK/newer.db" "PRAGMA user_version")" 999
same "and its events untouched" "$(sqlite3 "$WORK/newer.db" "SELECT count(*) FROM events")" "$before"

# A schema-1 shop with four months of history (tests/fixtures/v1-seeded.sql,
# made by make-v1-seeded.sh): after the migration every summary is what
# the schema-1 tally reported, previous periods, churn and lifespan
# included, and the oracle recomputing every report from the events alone
# agrees figure by figure.
SEEDED=$REPO/tests/fixtures/v1-seeded.sql
export TALLY_DB="$WORK/seeded.db" TZ=Europe/Warsaw
sqlite3 "$TALLY_DB" <"$SEEDED"
same "the seeded schema-1 shop loads" "$(sql "PRAGMA user_version")" 1
run "the current tally checks it clean" $T check
same "opened and at the current schema" "$(sql "PRAGMA user_version")" "$current"
same "none of its events lost or added" "$(sql "SELECT count(*) FROM events")" \
    "$(sed -n 's/^-- expect events //p' "$SEEDED")"
run "digest" $T digest
same "its digest is unchanged" "$OUT" "$(sed -n 's/^-- expect digest //p' "$SEEDED")"
n=0
while IFS='|' read -r args json; do
    # shellcheck disable=SC2086
    OUT=$($T --format json report summary $args 2>&1)
    same "seeded: report summary $args as the schema-1 tally gave it" "$OUT" "$json"
    n=$((n + 1))
done <<EOF2
$(sed -n 's/^-- expect report summary //p' "$SEEDED")
EOF2
[ $n -ge 5 ] && pass "every seeded summary compared ($n)" || fail "only $n seeded summaries compared"
case $(sed -n 's/^-- expect report summary --period 2026-10|//p' "$SEEDED") in
    *'"previous":{"members":0,'*|'') fail "the fixture's previous period is empty: it proves nothing" ;;
    *'"churned":0,'*'"churned":0,'*) fail "the fixture has no churn in either period" ;;
    *) pass "the fixture's figures are not all in one period" ;;
esac
if command -v python3 >/dev/null; then
    origin=$(sql "SELECT value FROM local WHERE key = 'origin'")
    run "the oracle agrees with every report of the upgraded shop" python3 "$E2E_DIR/oracle.py" "$T" "$origin" \
        2026-10-01:2026-10-31 2026-07-04:2026-10-31 2026-09-15:2026-10-14 2026-10-15:2026-10-15 \
        -- 2026-10-15 2026-09-03 2026-10-31
    has "and compared over a thousand figures" "^[0-9][0-9][0-9][0-9]* figures compared, 0 differ"
else
    fail "python3 is needed for the oracle (scripts/deps.sh installs it)"
fi
