#!/bin/sh
# End to end: the commands no other script runs - promotions, expiry, staff
# list and disable, customer edit - and cards that must be refused: a
# forged code at earn, a card whose QR does not read back.
. "$(dirname "$0")/lib.sh"
T=$TALLY
new_shop
M $T program set limits.per_day 0 >/dev/null
CARD=$(B $T customer add --name "Ana Nowak" --phone 600100200 | sed -n 's/.*Card code: //p')

# --- promotions ------------------------------------------------------------
refuse "a barista cannot add a promotion" "manager" B $T promo add Double --multiplier 2
refuse "a multiplier of 1 is no promotion" "multiplier" M $T promo add Double --multiplier 1
run "a manager adds double points, running now" M $T promo add Double --multiplier 2
run "promo list" $T promo list
has "it lists the running promotion, its multiplier as ×2" "Double  *×2 "
run "a sale during it" B $T earn "$CARD" 10,00
has "earns double points" "+20 points"
run "the event log" $T events --limit 4
aligned "an amount in zł fills its 12 columns as a blank one does" '( )$'
run "the promotion ends" M $T promo end Double
run "promo list after the end" $T promo list
same "it is no longer listed as running" "$(printf '%s\n' "$OUT" | grep -c Double)" 0
run "promo list --all" $T promo list --all
has "but kept as ended" "Double.*ended"
run "a sale after it" B $T earn "$CARD" 10,00
has "earns single points again" "+10 points"
refuse "ending it twice is refused" "no running" M $T promo end Double
M $T promo add "Szczęśliwa godzina" --multiplier 1.5 >/dev/null
M $T promo end "Szczęśliwa godzina" >/dev/null
run "promo list --all with an accented name" $T promo list --all
aligned "the multipliers line up after Szczęśliwa godzina" ' (×)'

# --- staff list and disable -----------------------------------------------
run "staff list" $T staff list
has "it lists the barista" "Bogdan  *barista"
refuse "a barista cannot disable staff" "manager" B $T staff disable Bogdan
run "a manager disables Bogdan" M $T staff disable Bogdan
refuse "a disabled barista cannot log in" "wrong staff name or PIN\|disabled" B $T earn "$CARD" 1,00
run "staff list after" $T staff list
has "he is listed as disabled" "Bogdan.*disabled"
same "the disable is a staff event by Mira" \
    "$(sql "SELECT s.name FROM events e JOIN staff s ON s.id = e.staff WHERE e.type = 'staff' AND json_extract(e.data, '$.disabled') = 1")" Mira
M env TALLY_NEW_PIN=3333 $T staff add Ioana --role barista >/dev/null
M env TALLY_NEW_PIN=4444 $T staff add "Łucja Győri" --role barista >/dev/null
run "staff list with accented names" $T staff list
aligned "the role column lines up after Łucja Győri" ' (?:barista|manager)(?: |$)'
I() { as Ioana 3333 "$@"; }

# --- customer edit --------------------------------------------------------
refuse "a bad birthday is refused" "not a possible birthday" I $T customer edit "$CARD" --birthday 1990-02-30
same "and nothing was written" "$(sql "SELECT birthday FROM customers WHERE card IS NOT NULL AND name = 'Ana Nowak'")" ""
run "edit name, phone, birthday and consent" I $T customer edit "$CARD" \
    --name "Ana Kowalska" --phone 600100201 --birthday 1990-03-04 --consent yes
same "the record has the new values" \
    "$(sql "SELECT name || '|' || phone || '|' || birthday || '|' || consent FROM customers WHERE card = (SELECT card FROM customers WHERE name = 'Ana Kowalska')")" \
    "Ana Kowalska|600100201|1990-03-04|1"
run "she is found by the new phone" $T customer show 600100201
has "under her new name" "Ana Kowalska"
refuse "the old phone no longer finds her" "no customer" $T customer show 600100200
same "her balance did not move" "$(sql "SELECT points FROM customers WHERE name = 'Ana Kowalska'")" 30

# --- expiry ---------------------------------------------------------------
# A shop whose whole history is over two years old: every point is past
# points.expire_days (365).
OLD_DB="$WORK/old.db"
env TALLY_DB="$OLD_DB" TALLY_NEW_PIN=2468 $T init --shop Old --currency PLN --manager Mira >/dev/null
O() { env TALLY_DB="$OLD_DB" TALLY_STAFF=Mira TALLY_PIN=2468 "$@"; }
O $T demo seed --customers 20 --days 30 --seed 3 --end "$(date -d '2 years ago' +%F)" >/dev/null
HELD=$(sqlite3 "$OLD_DB" "SELECT sum(points) FROM customers WHERE points > 0")
[ "${HELD:-0}" -gt 0 ] && pass "the old shop's customers hold points ($HELD)" || fail "no points to expire"
run "tally expire" O $T expire
has "it says how many expired" "^$HELD points expired"
same "no customer keeps any" "$(sqlite3 "$OLD_DB" "SELECT count(*) FROM customers WHERE points > 0")" 0
same "as expire events of the same total" "$(sqlite3 "$OLD_DB" "SELECT -sum(points) FROM events WHERE type = 'expire'")" "$HELD"
run "expire again" O $T expire
has "finds nothing more" "^0 points expired"
run "the ledger still checks" O $T check

# --- cards that must be refused -------------------------------------------
FORGED=$(forge "$CARD")
refuse "a forged card code is refused at earn as not genuine" "not genuine" I $T earn "$FORGED" 5
refuse "a forged card at customer show too" "not genuine" I $T customer show "$FORGED"

# A card whose QR does not read back is never written: a decoder that
# finds nothing, preloaded in place of zbar's.
cat >noread.c <<'C'
int zbar_scan_image(void *scanner, void *image);
int zbar_scan_image(void *scanner, void *image) { (void)scanner; (void)image; return 0; }
C
if cc -shared -fPIC -o noread.so noread.c; then
    refuse "a card that fails its read-back is refused" "does not read back" \
        env LD_PRELOAD="$WORK/noread.so" ASAN_OPTIONS=verify_asan_link_order=0 \
        $T card 600100201 --png unread.png
    [ -e unread.png ] && fail "the unreadable card was written" || pass "and no PNG is written"
    refuse "nor is a replacement issued" "does not read back" \
        M env LD_PRELOAD="$WORK/noread.so" ASAN_OPTIONS=verify_asan_link_order=0 \
        $T card 600100201 --png unread.png --replace
    run "the old card still works" I $T customer show "$CARD"
    run "with the real decoder the card is written" $T card 600100201 --png read.png
    [ -s read.png ] && pass "the PNG is there" || fail "no read.png"
else
    fail "cannot build the decoder stand-in"
fi
