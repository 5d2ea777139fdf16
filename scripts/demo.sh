#!/bin/sh
# make demo: a living demo shop in ./demo/shop.db - a café with a few
# hundred members and a season of history (tally demo seed), then a walk
# through a morning at the counter with the tally command (import, enrol,
# earn, redeem, a card, a report), and on a terminal the kiosk itself.
# Run it again to start over.
set -eu
cd "$(dirname "$0")/.."
T="$PWD/tally"
rm -rf demo
mkdir -p demo
export TALLY_DB="$PWD/demo/shop.db"
unset TALLY_STAFF TALLY_PIN TALLY_NEW_PIN

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
do_() { say "$*"; "$@"; }

TALLY_NEW_PIN=1234 do_ "$T" init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira
export TALLY_STAFF=Mira TALLY_PIN=1234
# A season of the café's life: 400 members over 120 days, the program
# (tiers, welcome and birthday points, stamps on coffee), four rewards and
# four baristas, Bogdan among them (PIN 1111).
do_ "$T" demo seed --customers 400 --days 120 --staff-pin 1111
do_ "$T" promo add "Happy hour" --multiplier 2 --days mon,tue,wed,thu,fri --from-time 15:00 --to-time 17:00

# A few regulars, with some history imported as from a paper-card system.
cat >demo/customers.csv <<'CSV'
name;phone;email;birthday;consent;points;stamps
Łukasz Nowak;600100200;lukasz@example.pl;1990-03-04;yes;35;3
Ștefan Popescu;+40 721 000 111;;1985-11-25;no;0;0
Őrs Kovács;+36 30 123 4567;ors@example.hu;;yes;120;6
Anna Kowalska;601 222 333;;--07-14;yes;10;1
CSV
do_ "$T" import customers demo/customers.csv
cat >demo/history.csv <<'CSV'
phone,date,amount,items,category
600100200,2026-09-02 08:15,14.50,1,coffee
600100200,2026-09-20 08:05,9.00,1,coffee
+40721000111,2026-10-01 12:30,42.00,3,lunch
+36301234567,2026-10-11 09:00,18.00,2,coffee
601222333,2026-06-01 16:00,7.50,1,coffee
CSV
do_ "$T" import transactions demo/history.csv

export TALLY_STAFF=Bogdan TALLY_PIN=1111
do_ "$T" customer add --name "Zofia Wiśniewska" --phone "602 333 444" --consent yes --referred-by 600100200
do_ "$T" customer find lukasz
do_ "$T" earn 600100200 12,50 --items 2 --category coffee
do_ "$T" redeem 600100200 Croissant
do_ "$T" earn +36301234567 23.40 --category coffee
do_ "$T" nps 600100200 9
do_ "$T" customer show 600100200
do_ "$T" events --limit 8
do_ "$T" card 600100200 --png demo/lukasz-card.png
export TALLY_STAFF=Mira TALLY_PIN=1234
do_ "$T" report summary --last 30d
cat <<'TRY'

The demo shop is in demo/shop.db. In the next five minutes, try:
  ./tally --db demo/shop.db kiosk              the counter: log in as Bogdan, 1111
  ./tally --db demo/shop.db dashboard          the live view: log in as Mira, 1234; q quits
  TALLY_STAFF=Mira TALLY_PIN=1234 ./tally --db demo/shop.db report segments --last 90d
  TALLY_STAFF=Mira TALLY_PIN=1234 ./tally --db demo/shop.db report campaign 'Come-back test'
  ./tally --db demo/shop.db kiosk --images demo/lukasz-card.png   a card "shown" to the camera
TRY

# On a terminal, end at the counter: the kiosk, logged out.
if [ -t 0 ] && [ -t 1 ]; then
    printf '\nStarting the kiosk: log in as Bogdan, PIN 1111 (manager: Mira, 1234).\n'
    printf 'Type 600100200 (Łukasz Nowak) or a name and Enter to open a customer; F10 closes.\n'
    sleep 3
    exec "$T" kiosk
fi
