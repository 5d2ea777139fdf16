#!/bin/sh
# End to end: the tally command on a real database, as a manager over SSH
# would use it, bad input included. Every check also looks at what was
# (or was not) written.
. "$(dirname "$0")/lib.sh"
T=$TALLY

# --- a new shop ----------------------------------------------------------
refuse "commands before init say so" "tally init" $T digest
refuse "init needs a currency" "currency" $T init --shop "Pod Lipą"
refuse "init refuses an unknown currency" "ISO 4217" $T init --shop "Pod Lipą" --currency XYZ
rm -f "$TALLY_DB"
run "init a shop with its first manager" env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira
same "the database is created 0600" "$(stat -c %a "$TALLY_DB")" 600
refuse "init twice is refused" "already holds a shop" $T init --shop X --currency PLN
run "--help of a subcommand exits 0" $T earn --help
has "--help explains the command" "AMOUNT"
refuse "an unknown command says so" "unknown command" $T frobnicate
refuse "an unknown option says so" "unknown option" $T digest --frob

# --- staff ---------------------------------------------------------------
refuse "adding staff needs a manager's login" "say who you are" env TALLY_NEW_PIN=1111 $T staff add Bogdan
refuse "a wrong PIN is refused" "wrong staff name or PIN" as Mira 9999 env TALLY_NEW_PIN=1111 $T staff add Bogdan
refuse "a PIN must be digits" "4 to 8 digits" as Mira 2468 env TALLY_NEW_PIN=12ab $T staff add Bogdan
run "a manager adds a barista" as Mira 2468 env TALLY_NEW_PIN=1111 $T staff add Bogdan --role barista
refuse "a barista cannot change the program" "manager" as Bogdan 1111 $T program set welcome.points 10
same "no PIN is stored in clear" "$(sql "SELECT count(*) FROM events WHERE data LIKE '%1111%'")" 0

# --- the program ---------------------------------------------------------
M() { as Mira 2468 "$@"; }
B() { as Bogdan 1111 "$@"; }
run "set the welcome bonus" M $T program set welcome.points 10
run "set tiers" M $T program set tiers "Silver:0:1,Gold:100:1.5"
refuse "tiers must rise" "rising" M $T program set tiers "Gold:100:1.5,Silver:0:1"
refuse "an unknown setting is refused" "no setting" M $T program set free.money 1
refuse "a bad number is refused" "whole number" M $T program set welcome.points lots
run "cashback 5%" M $T program set cashback.percent 5
run "program show" $T program show
has "program show lists the tiers" "Silver:0.00:1,Gold:100.00:1.5"
# Every value starts in one column, however long its setting's name.
cols=$(echo "$OUT" | awk '/^[a-z]/ && NF > 1 { match($0, /^[^ ]+ +/); print RLENGTH }' | sort -u)
same "program show lines its values up" "$(echo "$cols" | wc -l)" 1
run "a stamp-card reward" M $T reward add "Free coffee" --stamps 10
run "a points reward" M $T reward add "Croissant" --points 20
refuse "a reward needs one price" "points or in stamps" M $T reward add "Cake" --points 5 --stamps 2
run "reward list" $T reward list --format json
has "reward list has the coffee" '"name":"Free coffee"'

# --- customers -----------------------------------------------------------
run "enrol Łukasz" B $T customer add --name "Łukasz Nowak" --phone "+48 600 100 200" --birthday 1990-03-04 --consent yes
CARD=$(printf '%s\n' "$OUT" | sed -n 's/.*Card code: //p')
[ -n "$CARD" ] && pass "the new card's code is printed" || fail "no card code in: $OUT"
run "enrol Ștefan" B $T customer add --name "Ștefan Popescu" --phone 0721000111 --email stefan@example.ro
refuse "a duplicate phone is refused" "already has the phone" B $T customer add --name Other --phone "600-100-200"
refuse "an impossible birthday is refused" "possible birthday" B $T customer add --name Other --birthday 2023-02-29
refuse "a bad email is refused" "not an email" B $T customer add --name Other --email "no at sign"
refuse "an overlong name is refused" "1 to 100" B $T customer add --name "$(printf '%0150d' 0)"
refuse "a name that is not UTF-8 is refused" "1 to 100" B $T customer add --name "$(printf 'Bad\377name')"
same "refused enrolments wrote nothing" "$(sql "SELECT count(*) FROM customers")" 2
run "find 'lukasz' finds Łukasz" $T customer find lukasz
has "it is Łukasz" "Łukasz Nowak"
run "find 'stefan' finds Ștefan" $T customer find stefan
has "it is Ștefan" "Ștefan Popescu"
run "find by part of the phone" $T customer find 721000
has "it is Ștefan again" "Ștefan"
run "show by card code" $T customer show "$CARD"
has "the welcome bonus is there" "Points 10"
run "show by the card's lowercase code" $T customer show "$(printf '%s' "$CARD" | tr 'A-Z' 'a-z')"

# Card codes: a typo, a forgery and another shop's card.
LAST=$(printf '%s' "$CARD" | tail -c 1)
SWAP=$( [ "$LAST" = 2 ] && echo 3 || echo 2 )
TYPO="$(printf '%s' "$CARD" | sed 's/.$//')$SWAP"
refuse "a mistyped card code is a typo" "typing mistake" B $T earn "$TYPO" 5
other_shop
refuse "another shop's card is refused as such" "another shop" B $T earn "$OCARD" 5

# --- earning ---------------------------------------------------------------
run "earn 12,50 with a comma" B $T earn "$CARD" 12,50
has "12 points for 12,50" "+12 points"
has "5% cashback" "0.62 zł store credit"
run "earn 30.00 with a dot" B $T earn 600100200 30.00
refuse "a negative amount is refused" "not an amount" B $T earn "$CARD" -5
refuse "a zero amount is refused" "not an amount" B $T earn "$CARD" 0
refuse "an absurd amount is refused" "not an amount" B $T earn "$CARD" 99999999999
refuse "three decimals are refused" "not an amount" B $T earn "$CARD" 1.234
run "earn as JSON" B $T --format json earn "$CARD" 70
has "the JSON has the balance" '"balance":{"points":'
has "crossing 100 moves the customer to Gold" '"tier":"Gold"'
run "the next earn uses Gold's multiplier" B $T --format json earn "$CARD" 10
has "10.00 at x1.5 is 15 points" '"points":15'
BAL=$(sql "SELECT points FROM customers WHERE phone = '+48600100200'")
same "balance equals the sum of the events' effects" "$BAL" \
    "$(sql "SELECT sum(e.points) FROM events e, customers c WHERE e.customer = c.id AND c.phone = '+48600100200'")"

# --- rewards, points as payment, credit ------------------------------------
run "redeem the croissant" B $T redeem "$CARD" croissant
has "20 points taken" "\-20 points"
refuse "an unknown reward is refused" "no reward called" B $T redeem "$CARD" "Caviar"
refuse "too few stamps for coffee" "not enough stamps" B $T redeem "$CARD" "Free coffee"
run "retire the croissant" M $T reward retire Croissant
refuse "a retired reward is refused" "no longer offered" B $T redeem "$CARD" Croissant
run "pay with 10 points" B $T pay "$CARD" 10
has "100 points are 1 zł, so 10 points are 0.10" "Discount: 0.10 zł"
refuse "paying more points than held" "not enough points" B $T pay "$CARD" 100000
run "pay with store credit" B $T pay "$CARD" --credit 1,00
refuse "more credit than held" "not enough store credit" B $T pay "$CARD" --credit 500

# --- refunds, voids, adjustments -------------------------------------------
EARN=$(B $T --format json earn "$CARD" 40 | sed -n 's/.*"event":"\([^"]*\)".*/\1/p')
[ -n "$EARN" ] && pass "an earn names its event" || fail "no event name"
BEFORE=$(sql "SELECT points FROM customers WHERE phone = '+48600100200'")
run "refund half of it" B $T refund "$EARN" 20
run "refund the rest" B $T refund "$EARN"
AFTER=$(sql "SELECT points FROM customers WHERE phone = '+48600100200'")
same "two refunds take back exactly the 60 points it gave" "$((BEFORE - AFTER))" 60
refuse "nothing left to refund" "in full already" B $T refund "$EARN"
refuse "refund of something not a purchase" "only a purchase" B $T refund "$(sql "SELECT origin || ':1' FROM events LIMIT 1")"
refuse "a bad event name" "not an event reference" B $T refund "nonsense"
E2=$(B $T --format json earn "$CARD" 5 | sed -n 's/.*"event":"\([^"]*\)".*/\1/p')
refuse "a void needs a reason" "reason" B $T void "$E2"
run "a barista undoes their own fresh sale" B $T void "$E2" --reason "wrong card"
refuse "voiding twice is refused" "voided already" M $T void "$E2" --reason again
E3=$(M $T --format json earn "$CARD" 5 | sed -n 's/.*"event":"\([^"]*\)".*/\1/p')
refuse "a barista cannot void someone else's sale" "needs a manager" B $T void "$E3" --reason oops
run "a manager can" M $T void "$E3" --reason "till mistake"
same "the void's reason is recorded" "$(sql "SELECT reason FROM events WHERE type = 'void' ORDER BY hlc DESC LIMIT 1")" "till mistake"
refuse "a barista cannot adjust" "manager" B $T adjust "$CARD" +50 --reason gift
refuse "an adjustment needs a reason" "reason" M $T adjust "$CARD" +50
run "a manager adjusts with a reason" M $T adjust "$CARD" -5 --reason "double scan"
has "5 points taken" "\-5 points"

# --- abuse limits ----------------------------------------------------------
run "limit: 2 transactions a day" M $T program set limits.per_day 2
run "a customer's first transaction today" B $T earn 0721000111 5
run "and second" B $T earn 0721000111 5
refuse "the third is refused with the reason" "limit reached" B $T earn 0721000111 5
refuse "only a manager may override" "manager" B $T earn 0721000111 5 --override "birthday party"
run "a manager overrides with a reason" M $T earn 0721000111 5 --override "birthday party"
same "the override reason is in the event" "$(sql "SELECT reason FROM events WHERE type = 'earn' ORDER BY hlc DESC LIMIT 1")" "birthday party"
run "lift the limit" M $T program set limits.per_day 0

# --- coupons ---------------------------------------------------------------
refuse "a barista cannot issue coupons" "manager" B $T coupon issue --discount 5
run "issue a 10% coupon for Łukasz" M $T coupon issue --discount 10% --customer "$CARD"
CODE=$(printf '%s\n' "$OUT" | sed -n 's/Coupon \(.*\) issued./\1/p')
refuse "someone else cannot use it" "another customer" B $T coupon redeem "$CODE" --card 0721000111
run "Łukasz uses it, typed in lowercase" B $T coupon redeem "$(printf '%s' "$CODE" | tr 'A-Z' 'a-z')" --card "$CARD"
has "10% off" "10% off"
refuse "a coupon is single use" "used already" B $T coupon redeem "$CODE" --card "$CARD"
refuse "an expiry in the past is refused" "future" M $T coupon issue --discount 5 --expires 2020-01-01
refuse "a made-up coupon" "no coupon" B $T coupon redeem ABCD-EFGH --card "$CARD"
run "a coupon for anyone" M $T coupon issue --discount 5
run "the coupon list in Hungarian: 'bárki' (anyone) beside Łukasz's" env LANG=hu_HU.UTF-8 $T coupon list
aligned "the days the coupons end line up" ' ([0-9]{4}-[0-9]{2}-[0-9]{2})'

# --- NPS, events, digest ---------------------------------------------------
run "an NPS answer" B $T nps "$CARD" 9
refuse "NPS is 0 to 10" "0 to 10" B $T nps "$CARD" 11
run "the event log as JSON" $T --format json events --customer "$CARD" --limit 0
has "it lists earns" '"type":"earn"'
D1=$($T digest)
D2=$($T digest)
same "the digest is stable" "$D1" "$D2"
N=$(sql "SELECT count(*) FROM events")
same "digest counts the events" "${D1#* }" "$N"

# --- export and forget -----------------------------------------------------
run "export as JSON" $T customer export "$CARD"
has "export has the name" '"name":"Łukasz Nowak"'
has "export has the history" '"type":"redeem"'
refuse "a barista cannot forget a customer" "manager" B $T customer forget "$CARD"
AMOUNTS="points, stamps, credit, spend, visits, first_visit, last_visit"
KEPT=$(sql "SELECT $AMOUNTS FROM customers WHERE phone = '+48600100200'")
run "a manager forgets Łukasz" M $T customer forget "$CARD"
same "his personal data is gone" "$(sql "SELECT name || phone || email || birthday FROM customers WHERE forgotten = 1")" ""
same "no event holds his phone any more" "$(sql "SELECT count(*) FROM events WHERE pii LIKE '%600100200%'")" 0
same "his amounts stay" "$(sql "SELECT $AMOUNTS FROM customers WHERE forgotten = 1")" "$KEPT"
refuse "his card no longer works" "forgotten" B $T earn "$CARD" 5

# --- import ----------------------------------------------------------------
printf 'Name;Phone;Email;Birthday;Consent;Points\nAnna Kowalska;600200300;anna@example.pl;1985-06-01;tak;40\nBad Date;600200301;;1985-13-01;no;0\n;600200302;;;;\nÉva Kiss;+36 30 123 4567;;;igen;\n' >cust.csv
refuse "a file with bad rows imports nothing" "nothing was imported" M $T import customers cust.csv
has "the bad birthday's line is named" "line 3"
has "the missing name's line is named" "line 4"
same "nothing was written" "$(sql "SELECT count(*) FROM customers WHERE name = 'Anna Kowalska'")" 0
printf 'Name;Phone;Email;Birthday;Consent;Points\nAnna Kowalska;600200300;anna@example.pl;1985-06-01;tak;40\n"Kiss, Éva";+36 30 123 4567;;;igen;\n' >cust.csv
run "a good file imports" M $T import customers cust.csv
has "it prints the new cards" "Anna Kowalska"
same "opening balance imported, and no welcome bonus" "$(sql "SELECT points FROM customers WHERE name = 'Anna Kowalska'")" 40
same "a quoted name with a comma" "$(sql "SELECT count(*) FROM customers WHERE name = 'Kiss, Éva'")" 1
printf 'phone,date,amount,items\n600200300,2026-01-15 10:30,12.50,1\n600200300,2026-02-01,8,2\n' >tx.csv
run "import transactions" M $T import transactions tx.csv
same "two purchases recorded at their dates" "$(sql "SELECT count(*) FROM events e JOIN customers c ON c.id = e.customer WHERE c.name = 'Anna Kowalska' AND e.type = 'earn' AND e.wall < 1780000000000")" 2
printf 'phone,amount\n600200300,12.50\n999999999,5\n' >tx.csv
refuse "an unknown customer in a transaction file" "line 3" M $T import transactions tx.csv
printf 'phone,amount\n"600200300,5\n' >tx.csv
refuse "an unterminated quote is reported" "nothing was imported" M $T import transactions tx.csv

# --- every command's steps in one order (cli/command.c) ---------------------
# A mistake in what was typed is said before the database is opened, or a PIN
# asked; an unknown verb gets the command's verbs, not a later step's word.
refuse "a wrong count is said before the database is opened" "give a card and an amount" \
    B $T --db "$WORK/nowhere/none.db" earn 600200300
refuse "a bad score is said before the login" "the score is a whole number" $T nps 600200300 11
refuse "an unknown verb lists the verbs" "say 'add', 'list', 'disable' or 'unlock'" $T staff bogus
refuse "an unknown verb with a name lists them too" "say 'add', 'list' or 'retire'" $T reward bogus Tea
refuse "the login comes before the customer is looked up" "say who you are" $T earn 000000000000 5
