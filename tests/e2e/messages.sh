#!/bin/sh
# Messages to customers: language and consent per channel at the CLI, the
# templates and their refusals, and the counter channel driven in a real
# terminal (tmux): the kiosk shows the waiting message at the next scan
# and the barista marks it passed on.
. "$(dirname "$0")/lib.sh"
T=$TALLY
SOCK="tally-msg-$$"
trap 'TM kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
env TALLY_NEW_PIN=1111 $T staff add Bogdan >/dev/null
$T program set nps.every_days 0 >/dev/null
$T reward add "Free coffee" --stamps 2 >/dev/null

run "a trigger is switched on in the program" $T program set messages.welcome 1
run "so is reward-ready" $T program set messages.reward 1
refuse "an offer that is no coupon is refused, saying what is" "give coupon:20%, coupon:10.00, reward:NAME or none" \
    $T program set offer.reward points:5
run "reward-ready brings a coupon" $T program set offer.reward coupon:15%
run "a preview shows the coupon it would bring" $T message template preview reward pl
has "in the customer's language, with a made-up code" "Twój kupon K7QM-2XD9: 15% zniżki, ważny do [0-9][0-9]\.[0-9][0-9]\.20[0-9][0-9]\."
refuse "the shop's language must be one messages are written in" "en, pl, ro or hu" $T program set messages.language de
run "the shop's language" $T program set messages.language pl

CARD=$($T customer add --name "Łukasz Nowak" --phone 600100200 --consent yes | sed -n 's/.*Card code: //p')
run "a customer enrolled with marketing consent" $T message list --customer "$CARD"
has "gets a welcome message at the counter" "welcome    counter  pl queued"
run "language at the CLI" $T customer edit "$CARD" --language hu
refuse "an unknown language is refused" "en, pl, ro or hu" $T customer edit "$CARD" --language xx
refuse "a consent is yes or no" "yes' or 'no" $T customer edit "$CARD" --consent-sms maybe
run "e-mail consent needs an address first" $T customer edit "$CARD" --email lukasz@example.pl --consent-email yes
run "the customer's preferences show" $T customer show "$CARD"
has "the language" "Language of messages: hu"
has "e-mail consent with when and who" "E-mail offers: yes (since .*, recorded by Mira)"
has "SMS never asked" "SMS offers: no (never asked)"
run "an opt-out" $T customer edit "$CARD" --consent-email no
run "shows" $T customer show "$CARD" --format json
has "the opt-out wins" '"consent_email":false'

NOPE=$($T customer add --name "Anna Bez" --phone 600100201 | sed -n 's/.*Card code: //p')
run "no consent: the welcome message is suppressed" $T message list --customer "$NOPE" --status suppressed
has "with the reason" "no consent"
refuse "the balance update's throttle is a number of days" "365" $T program set messages.balance_days 400
run "a balance update after a visit, at most once a week" $T program set messages.balance_days 7
$T earn "$NOPE" 10,00 >/dev/null
$T earn "$NOPE" 10,00 >/dev/null
run "two purchases" $T message list --customer "$NOPE" --trigger balance
same "one balance update" "$(printf '%s\n' "$OUT" | grep -c 'balance')" 1
run "the anniversary of the first visit has its template" $T message template show anniversary pl
has "in Polish" "Nasza rocznica – {shop}"
$T program set messages.balance_days 0 >/dev/null

# Templates.
run "templates list every trigger" $T message template list
has "in every language" "  hu (shipped)"
refuse "an unknown placeholder is refused" "unknown placeholder {imie}" $T message template set welcome pl --subject "Hej {imie}" --body "x"
refuse "non-UTF-8 is refused" "not UTF-8" $T message template set welcome pl --subject "$(printf 'Hej \377')" --body "x"
refuse "an overlong body is refused" "at most 1000" $T message template set welcome pl --subject "Hej" --body "$(head -c 1001 /dev/zero | tr '\0' a)"
refuse "a barista cannot set templates" "manager" env TALLY_STAFF=Bogdan TALLY_PIN=1111 $T message template set welcome pl --subject "Hej" --body "x"
run "a manager sets one" $T message template set welcome hu --subject "Szia {name}!" --body "{points} pont vár – {shop}"
run "preview for a customer" $T message template preview welcome hu --customer "$CARD"
has "is filled in" "Szia Łukasz!"
run "and back to the shipped text" $T message template set welcome hu --reset
run "shows" $T message template show welcome hu
has "the shipped text" "Üdvözlünk"
unset TALLY_STAFF TALLY_PIN

# The counter channel in the kiosk.
TM new-session -d -s k -x 100 -y 30 "TALLY_DB='$TALLY_DB' TALLY_LOCALEDIR='${TALLY_LOCALEDIR:-}' $T kiosk; sleep 60"
wait_for "the kiosk starts" "Log in to start"
keys "Bogdan" Tab "1111" Enter
wait_for "the barista logs in" "Scan a card"
keys "$CARD" Enter
wait_for "the customer's message waits at the scan" "Tell them (F1 once told): Üdvözlünk"
wait_for "in their language" "Szia Łukasz"
wait_for "the preferences show" "Messages in hu"
keys F1
wait_for "the barista marks it passed on" "Message passed on"
same "recorded as sent at the counter by the barista" \
    "$(sql "SELECT o.status || ':' || s.name FROM outbox o JOIN events e ON e.type = 'message' AND json_extract(e.data, '\$.status') = 'sent' JOIN staff s ON s.id = e.staff WHERE o.trig = 'welcome' AND o.customer = e.customer")" "5:Bogdan"
keys F1
wait_for "nothing more to pass on" "No message is waiting"
keys "5" Enter Enter
keys "5" Enter Enter
wait_for "the full stamp card's message shows by itself" "Tell them (F1 once told): .*Free coffee"
COUPON=$(sql "SELECT json_extract(vars, '\$.coupon') FROM outbox WHERE trig = 'reward' ORDER BY created DESC LIMIT 1")
wait_for "with its coupon on a line of its own" "Their coupon: $(printf '%s' "$COUPON" | cut -c1-4)-$(printf '%s' "$COUPON" | cut -c5-8), 15% off, until"
keys F4
keys "$COUPON" Enter
wait_for "the barista takes the coupon" "Coupon used: 15% off this purchase"
same "the coupon is used" "$(sql "SELECT uses FROM coupons WHERE code = '$COUPON'")" "1"
keys Tab
wait_for "Tab opens the preferences" "Language of messages"
keys BSpace BSpace "ro" Tab BSpace "y" Tab BSpace "n" Enter
wait_for "preferences are saved" "Preferences saved"
same "the language is recorded" "$(sql "SELECT language || email_ok || sms_ok FROM contact")" "ro10"
keys F10 Enter
