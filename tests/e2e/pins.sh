#!/bin/sh
# Wrong PINs at the command line: each attempt is a new process, yet the
# count that makes a name wait is kept per name at this till, in the
# database; while a name waits even its right PIN is refused; every wrong
# PIN is recorded (whose name, how, when; never the PIN) and counted in
# 'report staff'; only a manager unlocks. The wait's growth and the lock
# after 10 are tested with the store's clock in test_store.
. "$(dirname "$0")/lib.sh"
T=$TALLY
BAD=86420975        # a wrong PIN nothing else in the database could contain

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
M() { as Mira 2468 "$@"; }
M env TALLY_NEW_PIN=1111 $T staff add Bogdan >/dev/null
M env TALLY_NEW_PIN=2222 $T staff add Ewa >/dev/null
failed() { sql "SELECT count(*) FROM events WHERE type = 'login_failed'"; }

refuse "a wrong PIN is refused" "wrong staff name or PIN" as Bogdan $BAD $T customer add --name Tried
refuse "a second one too" "wrong staff name or PIN" as Bogdan $BAD $T customer add --name Tried
refuse "the third makes the next try wait" "try again in 30 s" as Bogdan $BAD $T customer add --name Tried
refuse "the right PIN is refused while Bogdan waits" "too many wrong PINs for Bogdan" \
    as Bogdan 1111 $T customer add --name "Not Added"
same "and nothing was done" "$(sql "SELECT count(*) FROM customers WHERE name = 'Not Added'")" 0
# script(1) gives tally a terminal to ask for the PIN on.
refuse "a PIN typed at the prompt goes through the same check" "too many wrong PINs" \
    sh -c "printf '1111\\n' | script -qec 'env TALLY_STAFF=Bogdan $T customer add --name Tried' /dev/null"
same "three wrong PINs recorded, the refused tries not" "$(failed)" 3
same "each says whose name and how it was typed" \
    "$(sql "SELECT DISTINCT s.name || ' ' || json_extract(e.data, '$.via') FROM events e JOIN staff s ON s.id = e.staff WHERE e.type = 'login_failed'")" \
    "Bogdan cli"
same "the PIN is nowhere in the database" "$(sqlite3 "$TALLY_DB" .dump | grep -c $BAD)" 0
run "staff list says who waits" M $T staff list
has "Bogdan waits" "Bogdan .*too many wrong PINs: next try in"
run "staff list as JSON" M $T --format json staff list
has "with the count at this till" '"name":"Bogdan"[^}]*"wrong_pins":3,"locked":false'
run "report staff" M $T --format json report staff --last 1d
has "counts Bogdan's wrong PINs" '"name":"Bogdan"[^}]*"wrong_pins":3,'
run "report tills" M $T --format json report tills --last 1d
has "and this till's" '"wrong_pins":3,'

refuse "a barista cannot unlock" "needs a manager" as Ewa 2222 $T staff unlock Bogdan
refuse "an unknown name cannot be unlocked" "no active staff member" M $T staff unlock Nobody
refuse "nor one with nothing to unlock" "nothing to unlock" M $T staff unlock Ewa
run "a manager unlocks Bogdan" M $T staff unlock Bogdan
has "and says so" "Bogdan may log in at this till again"
same "the unlock is recorded with who did it" \
    "$(sql "SELECT s.name FROM events e JOIN staff s ON s.id = e.staff WHERE e.type = 'login_unlock'")" Mira
run "Bogdan's right PIN works again" as Bogdan 1111 $T customer add --name "Added"
refuse "and his wrong PINs start from zero" "wrong staff name or PIN$" as Bogdan $BAD $T customer add --name Tried

refuse "a made-up name is only 'wrong'" "wrong staff name or PIN" as Nobody 1234 $T customer add --name Tried
same "recorded under no one's name" "$(sql "SELECT count(*) FROM events WHERE type = 'login_failed' AND staff = ''")" 1
