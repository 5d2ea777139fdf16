#!/bin/sh
# End to end: tally import's CSV handling (issue 13): a quote that was not
# doubled, a column named twice, errors that name their line once, counts
# that add up; opening balances that are outstanding but not issued; the
# phone test an import runs per row is an index seek.
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
