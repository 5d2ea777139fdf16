#!/bin/sh
# Every string a person reads is translated into each shipped language, and
# the language follows --lang or LANG, with amounts in that language's form.
. "$(dirname "$0")/lib.sh"
T=$TALLY
PO="$REPO/po"
[ -s "$PO/LINGUAS" ] && pass "po/LINGUAS lists the shipped languages" || fail "no $PO/LINGUAS"
for l in $(cat "$PO/LINGUAS"); do
    stats=$(msgfmt --check --statistics -o /dev/null "$PO/$l.po" 2>&1)
    case "$stats" in
        *untranslated*|*fuzzy*|*error*) fail "$l.po is complete: $stats" ;;
        *) pass "$l.po is complete and checks" ;;
    esac
    # Every string in the sources today, not only those of the committed
    # template, must be translated.
    [ -s "$WORK/fresh.pot" ] || xgettext --from-code=UTF-8 -k_ -kN_ --keyword=C_:1c,2 -o "$WORK/fresh.pot" \
        $(ls "$REPO"/util/*.c "$REPO"/scanner/*.c "$REPO"/store/*.c "$REPO"/sync/*.c "$REPO"/tui/*.c "$REPO"/cli/*.c 2>/dev/null)
    missing=$(msgcmp "$PO/$l.po" "$WORK/fresh.pot" 2>&1 | grep -c 'this message is used but not defined\|this message is untranslated')
    same "$l.po translates every string in the sources" "$missing" 0
done

# What a native reader trips over: ASCII "...", the wrong quotes, words
# the glossary at the top of each file replaced (po_style.py says which).
python3 "$E2E_DIR/po_style.py" "$PO"

env TALLY_NEW_PIN=2468 $T init --shop "Cukrászda" --currency HUF --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
$T customer add --name "Őrs Kovács" --phone "+36 30 123 4567" >/dev/null
EN=$($T --help 2>&1)
for l in pl ro hu; do
    OUT=$($T --lang $l --help 2>&1)
    [ "$OUT" != "$EN" ] && pass "--lang $l changes the help text" || fail "--lang $l: help is still English"
    OUT=$(env LANG=${l}_XX.UTF-8 $T --help 2>&1)
    [ "$OUT" != "$EN" ] && pass "LANG=${l}_XX.UTF-8 selects $l" || fail "LANG $l: help is still English"
    case $l in pl) said="to nie kwota" ;; ro) said="nu este o sumă" ;; hu) said="nem összeg" ;; esac
    refuse "errors are translated too ($l)" "^tally: '-5' $said" env LANG=${l}_XX.UTF-8 $T earn +36301234567 -5
    [ "$OUT" != "$($T earn +36301234567 -5 2>&1)" ] && pass "the $l error differs from English" || fail "$l error is English"
done
run "a 12500 Ft purchase" env LANG=hu_HU.UTF-8 $T earn +36301234567 12500
run "the customer, in Hungarian" env LANG=hu_HU.UTF-8 $T customer show +36301234567
has "forints are whole, grouped the Hungarian way" "elköltve 12 500 Ft$"
run "Polish amounts use a decimal comma" env TALLY_DB="$WORK/pl.db" sh -c "TALLY_NEW_PIN=1111 $T init --shop P --currency PLN --manager Ola >/dev/null && TALLY_STAFF=Ola TALLY_PIN=1111 $T customer add --name Ola --phone 600700800 >/dev/null && TALLY_STAFF=Ola TALLY_PIN=1111 $T --lang pl earn 600700800 12,50"
has "12,50 shows as 0,00 zł credit with a comma" ",00 zł"

# Counts take the language's plural forms (Polish three, Romanian three,
# Hungarian two), seen in real output: the reward list and a purchase.
P="env TALLY_DB=$WORK/plural.db TALLY_STAFF=Ola TALLY_PIN=1111 $T"
env TALLY_DB="$WORK/plural.db" TALLY_NEW_PIN=1111 $T init --shop P --currency PLN --manager Ola >/dev/null
for n in 1 2 5 12 22; do $P reward add "Nagroda $n" --points $n >/dev/null; done
for n in 1 2 5; do $P reward add "Karta $n" --stamps $n >/dev/null; done
$P customer add --name Ola --phone 600700900 >/dev/null
run "rewards listed in Polish" $P --lang pl reward list
has "Polish: 1 punkt" "Nagroda 1  *1 punkt "
has "Polish: 2 punkty" "Nagroda 2  *2 punkty "
has "Polish: 5 punktów" "Nagroda 5  *5 punktów"
has "Polish: 12 punktów (not punkty)" "Nagroda 12  *12 punktów"
has "Polish: 22 punkty" "Nagroda 22  *22 punkty "
has "Polish: 1 pieczątka" "Karta 1  *1 pieczątka"
has "Polish: 2 pieczątki" "Karta 2  *2 pieczątki"
has "Polish: 5 pieczątek" "Karta 5  *5 pieczątek"
run "a 1 zł purchase in Polish" $P --lang pl earn 600700900 1
has "Polish: +1 punkt, +1 pieczątka" "+1 punkt, +1 pieczątka$"
has "Polish: the balance, 1 punkt" "ma teraz: 1 punkt, 1 pieczątka,"
run "a 1 zł purchase more" $P --lang pl earn 600700900 1
has "Polish: the balance, 2 punkty, 2 pieczątki" "ma teraz: 2 punkty, 2 pieczątki,"
run "a 3 zł purchase" $P --lang pl earn 600700900 3
has "Polish: the balance, 5 punktów" "ma teraz: 5 punktów, 3 pieczątki,"
# Refusals and tally check count in the language too.
refuse "a reward too dear, in Polish" "kosztuje 22 punkty, klient ma 5 punktów" $P --lang pl redeem 600700900 "Nagroda 22"
refuse "a stamp card not yet full, in Polish" "potrzeba: 5 pieczątek, klient ma: 3 pieczątki" $P --lang pl redeem 600700900 "Karta 5"
refuse "paying more points than held, in Polish" "klient ma 5 punktów" $P --lang pl pay 600700900 1000
refuse "a reward too dear, in Romanian" "costă 22 de puncte, clientul are 5 puncte" $P --lang ro redeem 600700900 "Nagroda 22"
refuse "a reward too dear, in Hungarian" "ára 22 pont, a vásárlónak 5 pont van" $P --lang hu redeem 600700900 "Nagroda 22"
run "tally check in Polish" $P --lang pl check
has "Polish check: saldo 1 klienta" "saldo 1 klienta jest równe sumie jego zdarzeń"
N=$(sqlite3 "$WORK/plural.db" "SELECT count(*) FROM events")
case $((N % 10)):$((N % 100 / 10)) in
    [234]:[!1]) has "Polish check: wszystkie $N zdarzenia" "wszystkie $N zdarzenia zgadzają się" ;;
    *) has "Polish check: wszystkich $N zdarzeń" "wszystkich $N zdarzeń zgadza się" ;;
esac
run "rewards listed in Romanian" $P --lang ro reward list
has "Romanian: 1 punct" "Nagroda 1  *1 punct "
has "Romanian: 5 puncte" "Nagroda 5  *5 puncte "
has "Romanian: 22 de puncte" "Nagroda 22  *22 de puncte"
run "rewards listed in Hungarian" $P --lang hu reward list
has "Hungarian: 5 pont, the noun stays singular" "Nagroda 5  *5 pont "
run "rewards listed in English" $P reward list
has "English: 1 point" "Nagroda 1  *1 point "
has "English: 5 points" "Nagroda 5  *5 points"
# Columns line up by what the terminal shows, not by bytes.
$P reward add "Drożdżówka ąę" --points 12 >/dev/null
run "rewards listed in Polish, one name with ą, ę, ż" $P --lang pl reward list
same "the price column starts at one place on every line" "$(printf '%s\n' "$OUT" | python3 -c '
import sys
print(" ".join(sorted({"42" if l[41] == " " and l[42] != " " else "not 42: " + l
                       for l in sys.stdin.read().splitlines() if l.strip()})))')" 42

# Codes the ledger keeps read as words in every language: segments and
# reward kinds in the table, codes in JSON (what --segment takes).
export TALLY_DB="$WORK/codes.db"
env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
$T demo seed --customers 40 --days 60 --seed 4 >/dev/null
run "segments in Polish" $T --lang pl report segments --last 30d
has "Polish: the at-risk segment as a word" "^zagrożeni "
has "Polish: the new members too" "^nowi "
has "Polish: each rule named in Polish" "^  najlepsi: "
printf '%s\n' "$OUT" | grep -qE '^(at-risk|high-value|new|lapsed|regular|occasional) ' &&
    fail "a segment's code in the Polish table: $(printf '%s\n' "$OUT" | grep -E '^(at-risk|new) ')" ||
    pass "no segment code in the Polish table"
run "segments in JSON" $T --lang pl --format json report segments --last 30d
has "JSON keeps the codes" '"segment":"at-risk"'
run "reward kinds in Hungarian" $T --lang hu report rewards --last 60d
has "Hungarian: a reward's kind is jutalom" "^jutalom "
run "a promotion of 1.5" sh -c "$T promo add Pół --multiplier 1,5 >/dev/null && $T --lang pl promo list"
has "the multiplier in Polish: ×1,5" "Pół  *×1,5 "

# A balance in a list reads as words in each language ("51 punktów"), not
# as a unit letter ("51p") nobody says aloud.
$T customer add --name "Zofia Nowak" --phone 600111222 >/dev/null
$T earn 600111222 500 >/dev/null
run "a customer found, in Polish" $T --lang pl customer find 600111222
has "Polish: the balance in points, in words" " [0-9]* punktów  "
run "a customer found, in Romanian" $T --lang ro customer find 600111222
has "Romanian: the balance, de puncte" " [0-9]* de puncte  "
run "a customer found, in Hungarian" $T --lang hu customer find 600111222
has "Hungarian: the balance, pont" " [0-9]* pont  "
printf '%s\n' "$OUT" | grep -qE ' [0-9]+p ' && fail "a unit letter in the list: $OUT" || pass "no '120p' in the list"

# JSON is read by machines: the same document whatever the language, with
# codes where a table shows words (the built-in reward rows, this till,
# members without a tier, a segment's rule).
$T pay 600111222 100 >/dev/null
$T pay 600111222 --credit 2 >/dev/null
for d in 5 10%; do
    code=$($T --format json coupon issue --discount $d | sed 's/.*"code":"\([^"]*\)".*/\1/')
    $T coupon redeem "$code" --card 600111222 >/dev/null
done
run "the rewards report in JSON" $T --lang pl --format json report rewards --last 60d
has "points as payment: its code in JSON" '"kind":"points","reward":"","name":"points"'
has "store credit: its code in JSON" '"kind":"credit","reward":"","name":"credit"'
has "an amount off: its code in JSON" '"kind":"coupon","reward":"","name":"amount"'
has "a percentage off: its code in JSON" '"kind":"coupon","reward":"","name":"percent"'
run "the rewards report in Polish" $T --lang pl report rewards --last 60d
has "the table says it in Polish" "$(msggrep --msgid -e '^points as payment$' "$PO/pl.po" | sed -n 's/^msgstr "\(.*\)"$/\1/p')"
for what in "report summary" "report segments" "report segments --segment at-risk" "report customers" \
            "report rewards" "report tiers" "report staff" "report tills" "report overdrafts" "report day" \
            "customer find 600111222" "customer show 600111222" "reward list" "promo list" "staff list" \
            "coupon list" "events --limit 30"; do
    en=$($T --format json $what --last 60d 2>/dev/null || $T --format json $what 2>&1)
    for l in pl ro hu; do
        other=$($T --lang $l --format json $what --last 60d 2>/dev/null || $T --lang $l --format json $what 2>&1)
        same "JSON of '$what' is the same in $l as in English" "$other" "$en"
    done
done
