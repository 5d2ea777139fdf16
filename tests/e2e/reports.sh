#!/bin/sh
# End to end: tally report and tally demo seed. A small history built by
# hand (import with dates, then a refund at the counter) whose figures are
# worked out here; a seeded shop checked field by field in CSV and JSON and
# against the ledger read with sqlite3; the same seed giving the same
# reports; a report while another process writes; bad arguments.
. "$(dirname "$0")/lib.sh"
T=$TALLY
export TZ=UTC
# Dates by hand from today, refunds today, then today's reports: one day.
one_day 120

# bad CODE "what" PATTERN CMD...: fails with exit CODE and one line PATTERN.
bad() {
    code=$1; what=$2; pattern=$3; shift 3
    OUT=$("$@" 2>&1)
    rc=$?
    lines=$(printf '%s\n' "$OUT" | wc -l)
    if [ "$rc" -ne "$code" ]; then
        fail "$what: exit $rc, want $code: $OUT"
    elif [ "$lines" -ne 1 ]; then
        fail "$what: $lines lines, want one: $OUT"
    elif printf '%s\n' "$OUT" | grep -q -- "$pattern"; then
        pass "$what"
    else
        fail "$what: expected '$pattern', got: $OUT"
    fi
}

# csv_get FILE KEY [COLUMN]: the value in the row whose first field is KEY.
csv_get() { awk -F, -v k="$2" -v c="${3:-2}" '$1 == k { print $c }' "$1"; }
# json_get FILE PATH: one value of a JSON document, as sqlite3 prints it.
json_get() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2')"; }

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
env TALLY_NEW_PIN=1111 $T staff add Bogdan --role barista >/dev/null

# --- a history by hand -------------------------------------------------------
# The last 30 days (D-29 .. today) against the 30 before (D-59 .. D-30):
#   Ala  10.00 on D-40, 20.00 on D-10, 30.00 on D-5 refunded in full today
#   Ola  15.00 on D-45, then nothing                    (churned)
#   Ela  12.50 on D-3, 2.50 of it refunded today         (still a visit)
day() { date -u -d "@$(( $(date -u +%s) - $1 * 86400 ))" +%Y-%m-%d; }
cat >customers.csv <<CSV
name;phone;consent
Ala;600000001;yes
Ola;600000002;no
Ela;600000003;yes
CSV
cat >history.csv <<CSV
phone,date,amount
600000001,$(day 40) 10:00,10.00
600000001,$(day 10) 10:00,20.00
600000001,$(day 5) 10:00,30.00
600000002,$(day 45) 10:00,15.00
600000003,$(day 3) 10:00,12.50
CSV
$T import customers customers.csv >/dev/null 2>&1
$T import transactions history.csv >/dev/null 2>&1
ala30=$(sql "SELECT origin || ':' || seq FROM events WHERE type = 'earn' AND spend = 3000")
ela=$(sql "SELECT origin || ':' || seq FROM events WHERE type = 'earn' AND spend = 1250")
run "refund Ala's last purchase in full" $T refund "$ala30"
run "refund part of Ela's" $T refund "$ela" 2,50

run "summary as CSV" sh -c "$T report summary --format csv >s.csv"
same "CSV header" "$(head -n 1 s.csv)" "metric,current,previous"
same "members" "$(csv_get s.csv members)" 3
# A member joins at enrolment or at their first purchase, whichever came
# first: the imported history makes Ala and Ola members from D-40 and D-45.
same "members before: Ala and Ola, by their imported purchases" "$(csv_get s.csv members 3)" 2
same "new members: Ela" "$(csv_get s.csv new_members)" 1
same "active members: Ala and Ela" "$(csv_get s.csv active_members)" 2
same "active before: Ala and Ola" "$(csv_get s.csv active_members 3)" 2
same "a refunded visit is no visit" "$(csv_get s.csv visits)" 2
same "visits before" "$(csv_get s.csv visits 3)" 2
same "sales net of the partial refund" "$(csv_get s.csv sales)" 30.00
same "sales before" "$(csv_get s.csv sales 3)" 25.00
same "average order value" "$(csv_get s.csv average_order_value)" 15.00
same "repeat rate: nobody came twice" "$(csv_get s.csv repeat_rate)" 0.0
same "purchase frequency" "$(csv_get s.csv purchase_frequency)" 1.00
same "churned: Ola" "$(csv_get s.csv churned)" 1
same "churn rate" "$(csv_get s.csv churn_rate)" 50.0
same "retention rate" "$(csv_get s.csv retention_rate)" 50.0
same "lifespan: 30 days / 50 %" "$(csv_get s.csv lifespan_days)" 60
same "CLV: 15.00 x 1 visit x (60 / 30)" "$(csv_get s.csv clv)" 30.00
same "points issued: 20 + 30 - 30 + 12 - 2" "$(csv_get s.csv points_issued)" 30
same "nothing redeemed" "$(csv_get s.csv points_redeemed)" 0
same "redemption rate" "$(csv_get s.csv redemption_rate)" 0.0
same "outstanding points" "$(csv_get s.csv points_outstanding)" 55
same "liability: 100 points a złoty" "$(csv_get s.csv liability)" 0.55
same "no NPS answers: empty, not 0" "$(csv_get s.csv nps)" ""
run "summary as JSON" sh -c "$T report summary --format json >s.json"
same "the JSON is valid" "$(sqlite3 :memory: "SELECT json_valid(readfile('s.json'))")" 1
same "JSON: the report" "$(json_get s.json '$.report')" summary
same "JSON: 30 days" "$(json_get s.json '$.days')" 30
same "JSON: the period ends today" "$(json_get s.json '$.to')" "$(day 0)"
same "JSON: the previous period" "$(json_get s.json '$.previous_from')..$(json_get s.json '$.previous_to')" "$(day 59)..$(day 30)"
same "JSON: visits" "$(json_get s.json '$.current.visits')" 2
same "JSON: sales, a string" "$(json_get s.json '$.current.sales')" 30.00
same "JSON: churn rate, a number" "$(sqlite3 :memory: "SELECT json_type(readfile('s.json'), '$.current.churn_rate')")" real
same "JSON: no NPS is null" "$(sqlite3 :memory: "SELECT json_type(readfile('s.json'), '$.current.nps')")" null
same "JSON: till is null" "$(sqlite3 :memory: "SELECT json_type(readfile('s.json'), '$.till')")" null
run "customers ranked by spend" sh -c "$T report customers --format csv >c.csv"
same "customers: header" "$(head -n 1 c.csv)" "rank,customer,name,phone,email,consent,segment,last_visit,visits,previous_visits,spend,previous_spend,total_visits,interval_days,recency,frequency,monetary"
same "customers: Ala first with 20.00" "$(sed -n 2p c.csv | cut -d, -f1,3,9,11)" "1,Ala,1,20.00"
same "customers: Ela second with 10.00" "$(sed -n 3p c.csv | cut -d, -f1,3,9,11)" "2,Ela,1,10.00"
same "customers: Ola had no visit" "$(grep -c ',Ola,' c.csv)" 0
run "segments" sh -c "$T report segments --format csv >g.csv"
same "segments: Ela joined in the period" "$(csv_get g.csv new)" 1
same "segment sales add up to the summary's" "$(awk -F, 'NR > 1 { s += $4 * 100 } END { printf "%.2f", s / 100 }' g.csv)" "$(csv_get s.csv sales)"
run "the refund shows in today's day report" sh -c "$T report day --format json >d.json"
same "day: two refunds today" "$(json_get d.json '$.rows[#-1].refunds')" 2
same "day: refunded 32.50" "$(json_get d.json '$.rows[#-1].refunded')" 32.50
same "day: points taken back" "$(json_get d.json '$.rows[#-1].points_taken_back')" -32
same "day: the last row is all tills'" "$(json_get d.json '$.rows[#-1].row')" all
same "day: the rows before are a staff member's and the till's" "$(json_get d.json '$.rows[0].row') $(json_get d.json '$.rows[#-2].row')" "staff till"
run "a day with nothing done" $T report day --date 2001-01-01
has "says so" "Nothing was done on these days."
run "the table form" $T report summary
has "the table gives the churn rate with its value" "^churn rate  *50\.0%  "

# --- bad arguments ---------------------------------------------------------------
bad 2 "no report name" "say which report" $T report
bad 2 "an unknown report" "no report 'bogus'" $T report bogus
bad 2 "a bad period" "not a period" $T report summary --period 2025-13
bad 2 "a bad quarter" "not a period" $T report summary --period 2025-Q5
bad 2 "a bad length" "not a length" $T report summary --last 5x
bad 2 "a period backwards" "ends before it starts" $T report summary --from 2025-06-10 --to 2025-06-01
bad 2 "two ways to give the period" "one way" $T report summary --period 2025-06 --last 30d
bad 2 "--to alone" "needs --from" $T report summary --to 2025-06-01
bad 2 "an unknown format" "table', 'csv' or 'json" $T report summary --format xml
bad 2 "a till that is not one" "not a till" $T report summary --till nothex
bad 1 "a till not in the ledger" "no till 0123abcd" $T report summary --till 0123abcd
bad 2 "an unknown segment" "no segment 'vip'" $T report segments --segment vip
bad 2 "an unknown ranking" "spend, visits or recency" $T report customers --by name
bad 2 "a bad date" "not a date" $T report day --date 2025-02-30
bad 2 "--date with another report" "day report" $T report summary --date 2025-06-01
bad 2 "tiers are the whole shop's" "leave out --till" $T report tiers --till "$(sql "SELECT value FROM local WHERE key = 'origin'")"
bad 2 "an unknown option" "unknown option" $T report summary --frob
bad 1 "a report needs a login" "say who you are" env -u TALLY_STAFF $T report summary
bad 1 "a report needs a manager" "needs a manager" env TALLY_STAFF=Bogdan TALLY_PIN=1111 $T report summary
run "report --help" $T report --help
has "the help defines churn" "churn = members active in the previous period"
has "the help says what a refunded visit is" "fully refunded or voided purchase is no visit"
has "the help says what a forgotten customer is" "forgotten customer is counted"
bad 1 "demo history only into a shop without customers" "without customers" $T demo seed --customers 10 --days 10
bad 2 "demo seed needs customers" "--customers" $T demo seed --customers 0

# --- a seeded shop, field by field ---------------------------------------------------
seeded() {
    export TALLY_DB="$WORK/$1.db"
    env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
    run "seed a shop ($1)" $T demo seed --customers 150 --days 90 --seed 9 --end 2025-06-30 --no-campaign
    same "it holds the members it says it wrote ($1)" "$(sql "SELECT count(*) FROM customers")" \
        "$(printf '%s\n' "$OUT" | sed -n 's/.* events for \([0-9]*\) members .*/\1/p')"
}
seeded s1
P="--period 2025-06"
run "summary CSV" sh -c "$T report summary $P --format csv >k.csv"
run "summary JSON" sh -c "$T report summary $P --format json >k.json"
# Every figure of both periods: CSV "metric,current,previous" against the
# JSON's current and previous objects (1.50 in CSV is 1.5 from JSON, so
# compared as numbers; null is empty in both).
sqlite3 -separator , :memory: "SELECT key, value, 'current' FROM json_each(readfile('k.json'), '\$.current')
    UNION ALL SELECT key, value, 'previous' FROM json_each(readfile('k.json'), '\$.previous')" >kj.csv
n=$(awk 'END { print NR }' kj.csv)
m=$(awk -F, 'NR == FNR { if (FNR > 1) { c[$1] = $2; p[$1] = $3 } next }
             { v = $3 == "current" ? c[$1] : p[$1]; if (!($1 in c) || !(v == $2)) { print "  " $1 " " $3 ": csv " v ", json " $2 > "/dev/stderr"; bad++ } }
             END { print bad + 0 }' k.csv kj.csv)
same "JSON has every CSV figure" "$n" "$(($(wc -l <k.csv) * 2 - 2))"
same "every summary figure is the same in CSV and JSON ($n)" "$m" 0
A=$(sql "SELECT strftime('%s', '2025-06-01') * 1000"); B=$(sql "SELECT strftime('%s', '2025-07-01') * 1000")
same "members, as the ledger has them" "$(csv_get k.csv members)" \
    "$(sql "SELECT count(*) FROM customers WHERE enrolled > 0 AND enrolled < $B")"
same "new members, as the ledger has them" "$(csv_get k.csv new_members)" \
    "$(sql "SELECT count(*) FROM customers WHERE enrolled >= $A AND enrolled < $B")"
same "visits: purchases less the refunded and voided ones" "$(csv_get k.csv visits)" \
    "$(sql "SELECT count(*) FROM events e WHERE type = 'earn' AND wall >= $A AND wall < $B AND NOT EXISTS (SELECT 1 FROM events c WHERE c.ref_origin = e.origin AND c.ref_seq = e.seq AND c.visits < 0)")"
same "active members, as the ledger has them" "$(csv_get k.csv active_members)" \
    "$(sql "SELECT count(DISTINCT customer) FROM events e WHERE type = 'earn' AND wall >= $A AND wall < $B AND NOT EXISTS (SELECT 1 FROM events c WHERE c.ref_origin = e.origin AND c.ref_seq = e.seq AND c.visits < 0)")"
same "sales, as the ledger has them" "$(csv_get k.csv sales | tr -d .)" \
    "$(sql "SELECT sum(e.spend) + coalesce((SELECT sum(c.spend) FROM events c JOIN events l ON l.origin = c.ref_origin AND l.seq = c.ref_seq WHERE c.type IN ('refund', 'void') AND l.type = 'earn' AND l.wall >= $A AND l.wall < $B), 0) FROM events e WHERE e.type = 'earn' AND e.wall >= $A AND e.wall < $B")"
same "NPS answers, as the ledger has them" "$(csv_get k.csv nps_answers)" \
    "$(sql "SELECT count(*) FROM events WHERE type = 'nps' AND wall >= $A AND wall < $B")"
same "promoters, as the ledger has them" "$(csv_get k.csv promoters)" \
    "$(sql "SELECT count(*) FROM events WHERE type = 'nps' AND wall >= $A AND wall < $B AND json_extract(data, '\$.score') >= 9")"
same "outstanding points: all balances now" "$(csv_get k.csv points_outstanding)" "$(sql "SELECT sum(points) FROM customers")"
run "segments CSV" sh -c "$T report segments $P --format csv >g1.csv"
same "segments: six rows and a header" "$(wc -l <g1.csv)" 7
same "segments count every member" "$(awk -F, 'NR > 1 { n += $2 } END { print n }' g1.csv)" "$(csv_get k.csv members)"
same "segment shares add up to 100 % (each rounded)" "$(awk -F, 'NR > 1 { s += $6 * 10 } END { print (s > 996 && s < 1004) }' g1.csv)" 1
run "segments JSON" sh -c "$T report segments $P --format json >g1.json"
same "segments JSON: the rules are there, under their codes" "$(json_get g1.json '$.rules."at-risk"' | cut -c1-12)" "a regular no"
same "segments JSON: members as in CSV" "$(json_get g1.json '$.rows[2].members')" "$(csv_get g1.csv at-risk)"
run "an at-risk call list" sh -c "$T report segments $P --segment at-risk --format csv >r.csv"
same "the call list has names and consent" "$(head -n 1 r.csv | cut -d, -f3,6,8)" "name,consent,last_visit"
same "everyone on it is at-risk, by name" "$(tail -n +2 r.csv | awk -F, '$7 != "at-risk" || $3 == ""' | wc -l)" 0
same "as many as the segment counts" "$(tail -n +2 r.csv | wc -l)" "$(csv_get g1.csv at-risk)"
for r in rewards tiers staff tills overdrafts; do
    run "$r as JSON" sh -c "$T report $r $P --format json >x.json"
    same "$r: valid JSON" "$(sqlite3 :memory: "SELECT json_valid(readfile('x.json'))")" 1
    run "$r as CSV" sh -c "$T report $r $P --format csv >x.csv"
    same "$r: as many CSV rows as JSON rows" "$(($(wc -l <x.csv) - 1))" "$(sqlite3 :memory: "SELECT json_array_length(readfile('x.json'), '\$.rows')")"
done
run "rewards" sh -c "$T report rewards $P --format csv >w.csv"
same "rewards: the stamp card was redeemed as the ledger says" "$(awk -F, '$3 == "Free coffee" { print $4 }' w.csv)" \
    "$(sql "SELECT count(*) FROM events e WHERE type = 'redeem' AND wall >= $A AND wall < $B AND json_extract(data, '\$.name') = 'Free coffee' AND NOT EXISTS (SELECT 1 FROM events v WHERE v.type = 'void' AND v.ref_origin = e.origin AND v.ref_seq = e.seq)")"
run "tills" sh -c "$T report tills $P --format csv >t.csv"
same "tills: the purchases of the one till" "$(sed -n 2p t.csv | cut -d, -f3)" \
    "$(sql "SELECT count(*) FROM events WHERE type IN ('earn', 'redeem', 'pay', 'coupon_use') AND wall >= $A AND wall < $B")"

# --- the same seed, the same reports ----------------------------------------------------
for r in summary segments tiers; do $T report $r $P --format csv; done >one.txt
$T report customers $P --limit 0 --format csv | cut -d, -f2 --complement >>one.txt
$T report rewards $P --format csv | cut -d, -f2 --complement >>one.txt
seeded s2
for r in summary segments tiers; do $T report $r $P --format csv; done >two.txt
$T report customers $P --limit 0 --format csv | cut -d, -f2 --complement >>two.txt
$T report rewards $P --format csv | cut -d, -f2 --complement >>two.txt
same "the same seed gives the same reports" "$(cmp -s one.txt two.txt && echo same)" same
[ "$(wc -l <one.txt)" -gt 40 ] && pass "and they say something" || fail "reports too short: $(wc -l <one.txt)"

# --- reports while another process writes -------------------------------------------------
export TALLY_DB="$WORK/busy.db"
env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
$T program set limits.per_day 0 >/dev/null
$T customer add --name "Stały Klient" --phone 600000009 >/dev/null
(i=0; while [ $i -lt 20 ]; do $T earn 600000009 1,00 >/dev/null 2>>"$WORK/werr"; i=$((i + 1)); done) &
writer=$!
i=0; ok=0; torn=0; seen=""
while [ $i -lt 8 ]; do
    if $T report summary --last 2d --format json >b.json 2>>"$WORK/rerr"; then
        ok=$((ok + 1))
        # One snapshot: the sales, the points issued and the outstanding
        # points all come from the same purchases of 1.00 each.
        v=$(json_get b.json '$.current.visits')
        s=$(json_get b.json '$.current.sales')
        p=$(json_get b.json '$.current.points_issued')
        o=$(json_get b.json '$.current.points_outstanding')
        awk -v s="$s" -v v="$v" 'BEGIN { exit !(s == v) }' && [ "$p" = "$v" ] && [ "$o" = "$v" ] ||
            torn=$((torn + 1))
        seen="$seen $v"
    fi
    i=$((i + 1))
done
wait $writer
same "every report succeeded while the till wrote" "$ok" 8
same "every report read one snapshot (visits seen:$seen)" "$torn" 0
same "the reports made no writer fail" "$(cat "$WORK/werr")" ""
same "and no report failed" "$(cat "$WORK/rerr")" ""
run "afterwards all 20 purchases count" sh -c "$T report summary --last 2d --format csv | grep '^visits,'"
has "20 visits" "visits,20,"
