#!/bin/sh
# The backstop drainers, end to end. A purchase's message is noted in the
# sale's own transaction and written in one of its own after it
# (store_message_drain): by the kiosk after a second with no key. A kiosk
# killed (-9) in that second leaves the sale and its note; syncd, or the
# messenger where syncd does not run, writes the message once the note is
# STORE_DRAIN_SETTLED_MS (5 s) old - one message and one coupon, never two.
# The kill is timed by watching the database: a watcher kills the kiosk as
# soon as the note is there. Should the kiosk win the race (a very loaded
# machine), the next customer is tried, up to three.
. "$(dirname "$0")/lib.sh"
T=$TALLY
SOCK="tally-test-$$"     # TM, screen and wait_for: lib.sh
kill_pids_on_exit
trap 'TM kill-server 2>/dev/null; for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; wait; rm -rf "$WORK"' EXIT

new_shop
for s in "messages.balance_days 7" "offer.balance coupon:10%" "nps.every_days 0" "limits.per_day 0"; do
    M $T program set $s >/dev/null
done
add() { M $T customer add --name "$1" --phone "$2" --consent yes | sed -n 's/.*Card code: //p'; }
CARDS="$(add "Anna Kowalska" 600100201) $(add "Piotr Wiśniewski" 600100202) $(add "Zofia Lis" 600100203)"
id_of() { M $T --format json customer show "$1" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p'; }
notes() { sql "SELECT count(*) FROM trigger_notes"; }
messages_of() { sql "SELECT count(*) FROM outbox WHERE trig = 'balance' AND customer = '$1'"; }
coupons_of() { sql "SELECT count(*) FROM coupons WHERE customer = '$1'"; }

# killed_after_sale: a purchase at a kiosk killed before it wrote the
# purchase's message; sets WHO (the customer's id). Fails if three
# kiosks in a row wrote it first.
killed_after_sale() {
    WHO=""
    for card in $CARDS; do
        CARDS=${CARDS#"$card"}
        CARDS=${CARDS# }
        id=$(id_of "$card")
        TM kill-server 2>/dev/null
        rm -f "$WORK/kiosk.pid" "$WORK/caught"
        TM new-session -d -s k -x 80 -y 24 "echo \$\$ >'$WORK/kiosk.pid'; TALLY_DB='$TALLY_DB' exec $T kiosk --cards-dir '$WORK/cards'"
        TM set-option -t k remain-on-exit on >/dev/null
        wait_for "the kiosk starts" "Log in to start" || return 1
        keys "Bogdan" Tab "1111" Enter
        wait_for "the barista logs in" "Scan a card" || return 1
        keys "$card" Enter
        wait_for "the card opens" "Points:" || return 1
        kpid=$(cat "$WORK/kiosk.pid")
        # The watcher: kill -9 the kiosk the moment the sale's note is in.
        (
            i=0
            while [ $i -lt 600 ]; do
                if [ "$(notes 2>/dev/null)" = 1 ]; then
                    kill -9 "$kpid" && echo caught >"$WORK/caught"
                    exit 0
                fi
                sleep 0.01
                i=$((i + 1))
            done
        ) &
        watcher=$!
        keys "5,00" Enter Enter
        wait "$watcher"
        if [ -e "$WORK/caught" ]; then
            pass "a kiosk is killed (-9) right after a sale, before it wrote the message"
            WHO=$id
            return 0
        fi
        echo "# the kiosk wrote the message before the watcher saw the note; the next customer"
    done
    fail "three kiosks wrote the purchase's message before they could be killed"
    return 1
}

# --- syncd takes the note ------------------------------------------------------------
killed_after_sale || exit 0
same "the sale is kept" "$(sql "SELECT count(*) FROM events WHERE type = 'earn' AND customer = '$WHO'")" 1
same "its note waits" "$(notes)" 1
same "and no message yet" "$(messages_of "$WHO")" 0
$T syncd --listen 127.0.0.1:0 --heartbeat-ms 300 2>>"$WORK/syncd.log" &
SYNCD=$!
PIDS="$PIDS $SYNCD"
until_sql "syncd writes the purchase's message once the note has waited" \
    "SELECT count(*) FROM outbox WHERE trig = 'balance' AND customer = '$WHO'" 1
same "with its coupon" "$(coupons_of "$WHO")" 1
same "and the note is gone" "$(notes)" 0
sleep 1.5     # syncd's next turns: nothing written twice
same "once: one message" "$(messages_of "$WHO")" 1
same "once: one coupon" "$(coupons_of "$WHO")" 1
kill "$SYNCD"
wait "$SYNCD" 2>/dev/null

# --- the messenger (this till sends the shop's messages) takes it where syncd
# does not run ---------------------------------------------------------------------------
killed_after_sale || exit 0
same "another note waits" "$(notes)" 1
M $T program set messages.sender "$(sql "SELECT value FROM local WHERE key = 'origin'")" >/dev/null
# Mail to a port nobody listens on: these customers have no e-mail anyway,
# and what becomes of the message is messenger.sh's to check.
printf 'smtp_host = 127.0.0.1\nsmtp_port = 9\nsmtp_security = none\nfrom = kawiarnia@example.pl\n' >"$WORK/m.conf"
chmod 600 "$WORK/m.conf"
$T messenger --settings "$WORK/m.conf" --poll-ms 200 >"$WORK/messenger.log" 2>&1 &
PIDS="$PIDS $!"
until_sql "the messenger writes the purchase's message once the note has waited" \
    "SELECT count(*) FROM outbox WHERE trig = 'balance' AND customer = '$WHO'" 1 || sed 's/^/    | /' "$WORK/messenger.log"
same "with its coupon" "$(coupons_of "$WHO")" 1
same "and the note is gone" "$(notes)" 0
