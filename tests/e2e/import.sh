#!/bin/sh
# End to end: tally import's CSV handling (issue 13): a quote that was not
# doubled, a column named twice, errors that name their line once, counts
# that add up; opening balances that are outstanding but not issued; the
# phone test an import runs per row is an index seek. A big import never
# keeps the counter waiting; killed, it leaves nothing and runs again; a
# bad row near the end leaves nothing; no welcome bonus for imported
# customers; many purchases of one customer.
. "$(dirname "$0")/lib.sh"
T=$TALLY
export TZ=UTC
env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468

printf 'name,phone\n"A"B",600100200\n' >q.csv
refuse "a quote that was not doubled is refused" "write it twice" $T import customers q.csv
has "on its line, named once" "^line 2: a quote"
same "the line is not named twice" "$(printf '%s\n' "$OUT" | grep -c 'line 2: line 2')" 0
has "and the count adds up: 1 of 1 row" "1 of 1 row has errors"
same "nothing was imported" "$(sql "SELECT count(*) FROM customers")" 0

printf 'name,name,phone\nAla,Ola,600100201\n' >h.csv
refuse "a column named twice is refused" "names the column 'name' twice" $T import customers h.csv
same "nothing was imported either" "$(sql "SELECT count(*) FROM customers")" 0

printf 'name,phone,points,stamps\nAla,600100202,300,2\n' >o.csv
run "an opening balance imports" $T import customers o.csv
same "the balance is there" "$(sql "SELECT points || '/' || stamps FROM customers WHERE name = 'Ala'")" "300/2"
run "summary" sh -c "$T report summary --last 1d --format json >s.json"
same "it is outstanding" "$(sqlite3 :memory: "SELECT json_extract(readfile('s.json'), '\$.current.points_outstanding')")" 300
same "but not issued" "$(sqlite3 :memory: "SELECT json_extract(readfile('s.json'), '\$.current.points_issued')")" 0
run "staff" sh -c "$T report staff --last 1d --format json >t.json"
same "and no one's adjustment" "$(sqlite3 :memory: "SELECT coalesce(sum(json_extract(value, '\$.adjustments')), 0) FROM json_each(readfile('t.json'), '\$.rows')")" 0

plan=$(sql "EXPLAIN QUERY PLAN SELECT 1 FROM customers WHERE phone <> '' AND substr(phone, -9) = substr('600100202', -9) AND id <> '' AND forgotten = 0")
case "$plan" in
    *customers_phone9*) pass "the phone test of each row is an index seek" ;;
    *) fail "the phone test scans the customers: $plan" ;;
esac
printf 'name,phone\nOla,+48 600 100 202\n' >d.csv
refuse "the same phone with its country code is still refused" "already has the phone number" $T import customers d.csv

# --- a big import never keeps the counter waiting, and is all or nothing --------
# The file comes through a pipe: once a write of more than the pipe holds
# (64 KiB) returns, the import is reading its rows - a positive signal,
# no sleep. Until the fix the import held the ledger's write lock while it
# read, and a sale gave up after 10 s ("the database is busy").
rows() {   # rows FIRST COUNT: customers with phones 7xxxxxxxx
    awk -v a="$1" -v n="$2" 'BEGIN { for (i = a; i < a + n; i++) printf "Klient %d,7%08d\n", i, i }'
}
{ echo "name,phone"; rows 0 6000; } >big.csv
before=$(sql "SELECT count(*) FROM customers")
mkfifo big.pipe
$T import customers big.pipe >big.out 2>big.err & imp=$!
exec 3>big.pipe
head -n 5001 big.csv >&3
run "a sale at the counter while a big import reads its rows" $T earn 600100202 5,00
exec 3>&-
# The writer never closed early: what was written is all the import saw.
wait $imp; rc=$?
same "the import of what came through the pipe succeeds" "$rc" 0
same "all 5,000 rows of it are customers" "$(sql "SELECT count(*) FROM customers") " "$((before + 5000)) "
same "and the sale is there too" "$(sql "SELECT count(*) FROM events WHERE type = 'earn' AND spend = 500")" 1
same "no work file is left behind" "$(ls shop.db.import 2>/dev/null)" ""
same "imported customers get no welcome bonus" "$(sql "SELECT count(*) FROM customers WHERE name LIKE 'Klient %' AND points <> 0")" 0

# kill -9 in the middle: nothing of it anywhere, the sale made meanwhile
# kept, and a rerun imports every row exactly once.
{ echo "name,phone"; rows 10000 6000; } >kill.csv
before=$(sql "SELECT count(*) FROM customers")
events_before=$($T events --limit 0 | wc -l)
ev=$(sql "SELECT count(*) FROM events"); origins=$(sql "SELECT count(DISTINCT origin) FROM events")
mkfifo kill.pipe
$T import customers kill.pipe >/dev/null 2>&1 & imp=$!
exec 4>kill.pipe
head -n 5001 kill.csv >&4
run "a sale at the counter during the import that will be killed" $T earn 600100202 6,00
kill -9 $imp; wait $imp 2>/dev/null; exec 4>&-
same "after kill -9: no customer of it" "$(sql "SELECT count(*) FROM customers")" "$before"
same "no event of it, only the sale" "$(sql "SELECT count(*) FROM events")" "$((ev + 1))"
same "tally events shows one more event: the sale" "$($T events --limit 0 | wc -l)" "$((events_before + 1))"
same "no origin of it for the other tills" "$(sql "SELECT count(DISTINCT origin) FROM events")" "$origins"
run "summary after the kill" sh -c "$T report summary --last 1d --format json >k.json"
same "the members are those before it" "$(sqlite3 :memory: "SELECT json_extract(readfile('k.json'), '\$.current.members')")" "$before"
run "tally check after the kill" $T check
has "names the stopped import and what clears it" "left its work behind.*'tally import finish' clears it away"
run "tally import finish" $T import finish
has "clears it" "What a stopped import left is cleared away"
same "its work file is gone" "$(ls shop.db.import 2>/dev/null)" ""
run "tally check after it" $T check
same "says nothing of an import now" "$(printf '%s\n' "$OUT" | grep -c import)" 0
run "tally import finish with nothing left" $T import finish
has "says so" "No import was left unfinished"
run "the rerun of the killed import" $T import customers kill.csv
same "imports every row" "$(sql "SELECT count(*) FROM customers WHERE name LIKE 'Klient 1____'")" 6000
same "each exactly once" "$(sql "SELECT count(DISTINCT phone) FROM customers WHERE name LIKE 'Klient 1____'")" 6000
same "and the killed one's work file is gone" "$(ls shop.db.import 2>/dev/null)" ""
run "tally check after it all" $T check

# A bad row near the end of a big file: nothing at all.
{ echo "name,phone"; rows 20000 2998; echo ",700000001"; rows 30000 1; } >bad.csv
before=$(sql "SELECT count(*) FROM customers"); ev=$(sql "SELECT count(*) FROM events")
refuse "a bad row near the end of 3,000 refuses the file" "nothing was imported: 1 of 3000 rows" $T import customers bad.csv
has "naming its line" "line 3000: the name is missing"
same "no customer of it" "$(sql "SELECT count(*) FROM customers")" "$before"
same "no event of it" "$(sql "SELECT count(*) FROM events")" "$ev"

# Many purchases of one customer: as fast per row as few (the tier window
# slides), and abuse limits do not apply to history.
awk 'BEGIN { print "phone;amount;date"; for (i = 0; i < 3000; i++) printf "600100202;%d,00;2026-%02d-%02d 12:%02d\n", 1 + i % 9, 1 + int(i / 300), 1 + int(i / 12) % 28, i % 60 }' >many.csv
run "3,000 purchases of one customer import" $T import transactions many.csv
same "all of them are visits" "$(sql "SELECT visits FROM customers WHERE phone = '600100202'")" 3002
