#!/bin/sh
# tally messenger against a real SMTP server on loopback (Debian's
# python3-aiosmtpd, with tests/e2e/smtp_recorder.py saving every mail) and
# a stand-in SMS gateway (sms_gateway.py): the mail's headers, encoding,
# unsubscribe header and exactly the expected recipients; dry run, quiet
# hours and the weekly cap; a refusing, slow and down server and a failing
# gateway retried then recorded as failed; kill -9 mid-batch (sent again
# with the same Message-ID, and recorded so); an opt-out at another till
# while the sender is sending. Every server and process started here is
# stopped on exit; every negative check follows a positive signal (a
# process that ended, a file or a row that appeared).
. "$(dirname "$0")/lib.sh"
T=$TALLY
# Messages queued and sent over the script, then today's messages report: one day.
one_day 180
PY=python3
$PY -c 'import aiosmtpd' 2>/dev/null || PY=/usr/bin/python3     # Debian's, beside a pyenv
PIDS=""     # every server and process started here, killed on exit
trap 'kill -9 $PIDS 2>/dev/null; wait; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

# until_file WHAT PATH: passes once PATH exists (20 s at most).
until_file() {
    i=0
    while [ $i -lt 200 ]; do
        [ -e "$2" ] && { pass "$1"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    fail "$1: no $2"
    return 1
}
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mails() { $PY "$E2E_DIR/mailbox.py" "$WORK/mail" "$@"; }
status_of() { sql "SELECT status || ':' || tries FROM outbox WHERE customer = '$1' AND trig = '${2:-welcome}'"; }

# --- the servers ------------------------------------------------------------------
mkdir "$WORK/mail" "$WORK/sms"
SMTP_PORT=$(free_port)
(cd "$WORK/mail" && PYTHONPATH="$E2E_DIR" exec $PY -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
    -c smtp_recorder.Recorder "$WORK/mail") 2>"$WORK/smtp.log" &
PIDS="$PIDS $!"
$PY "$E2E_DIR/sms_gateway.py" "$WORK/sms" 2>"$WORK/sms.log" &
PIDS="$PIDS $!"
until_file "the SMS gateway stand-in listens" "$WORK/sms/port"
i=0
until $PY -c "import smtplib; smtplib.SMTP('127.0.0.1', $SMTP_PORT).quit()" 2>/dev/null || [ $i -ge 100 ]; do
    sleep 0.1; i=$((i + 1))
done
same "aiosmtpd answers on 127.0.0.1:$SMTP_PORT" "$([ $i -lt 100 ] && echo yes)" yes

# settings FILE [PORT] [EXTRA...]: a messenger settings file, mode 0600.
settings() {
    f=$1; port=${2:-$SMTP_PORT}; if [ $# -ge 2 ]; then shift 2; else shift; fi
    {
        echo "smtp_host = 127.0.0.1"; echo "smtp_port = $port"; echo "smtp_security = none"
        echo "from = kawiarnia@example.pl"; echo "retry_seconds = 1"; echo "timeout_seconds = 2"
        echo "unsubscribe = mailto:stop@example.pl?subject=stop%20{token}, https://example.pl/stop?c={customer}&t={token}"
        echo "sms_url = http://127.0.0.1:$(cat "$WORK/sms/port")/send"; echo "sms_token = s3cret-token"
        echo "sms_body = to={to}&message={text}&from=Kawiarnia"; echo "sms_header = Authorization: Bearer {token}"
        for x in "$@"; do echo "$x"; done
    } >"$f"
    chmod 600 "$f"
}
settings "$WORK/m.conf"
M="$T messenger --settings $WORK/m.conf"

# --- a shop whose customers agreed to e-mail, SMS, or nothing --------------------
env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
for s in "nps.every_days 0" "limits.per_day 0" "messages.welcome 1" "messages.quiet_from 0" "messages.quiet_to 0"; do
    $T program set $s >/dev/null
done
add() { $T --format json customer add "$@" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p'; }
LUK=$(add --name "Łukasz Żółć" --phone 600100200 --email lukasz@example.pl --consent yes --consent-email yes --language pl)
STE=$(add --name "Ștefan Ionescu" --phone 600100201 --email stefan@example.ro --consent yes --consent-email yes --language ro)
ORS=$(add --name "Őrs Kovács" --phone 600100202 --email ors@example.hu --consent yes --consent-email yes --language hu)
SMS=$(add --name "Anna Smsowa" --phone 600100203 --consent yes --consent-sms yes --language pl)
ANN=$(add --name "Ann Nomail" --phone 600100204 --email ann@example.com --consent no --consent-email yes)
same "five customers" "$(sql "SELECT count(*) FROM customers")" 5

chmod 644 "$WORK/m.conf"
refuse "settings others may read are refused" "chmod 600" $M --once
chmod 600 "$WORK/m.conf"
run "a till that is not the sender sends nothing" $M --once
has "and says why" "not the shop's sender"
same "nothing reached the server" "$(ls "$WORK/mail" | grep -c '^mail\.')" 0
refuse "the sender is a till of the shop" "no till 'Kasa 9'" $T program set messages.sender "Kasa 9"
ORIGIN=$(sqlite3 "$TALLY_DB" "SELECT value FROM local WHERE key = 'origin'")
run "this till is the sender" $T program set messages.sender "$ORIGIN"

run "a dry run" $M --dry-run
has "shows the Polish mail" "would send to lukasz@example.pl: Witamy w klubie Kawiarnia Pod Lipą"
has "the Hungarian one" "would send to ors@example.hu: Üdvözlünk"
has "the SMS with its text" "would send to 600100203: Cześć Anna"
same "and sends nothing" "$(ls "$WORK/mail" "$WORK/sms" | grep -c '^mail\.\|^sms\.')" 0
same "and records nothing" "$(status_of "$LUK")" "0:0"
same "no consent: suppressed when queued" "$(status_of "$ANN")" "2:0"

H=$(date +%H | sed 's/^0//')
$T program set messages.quiet_from "$H" >/dev/null
$T program set messages.quiet_to "$(( (H + 2) % 24 ))" >/dev/null
run "in quiet hours" $M --once
has "messages wait" "quiet hours until"
same "nothing goes" "$(ls "$WORK/mail" | grep -c '^mail\.'):$(status_of "$LUK")" "0:0:0"
$T program set messages.quiet_to "$H" >/dev/null

run "the messenger sends what is due" $M --once
same "exactly the expected recipients" "$(mails | cut -d'|' -f1 | sort | tr '\n' ' ')" \
    "lukasz@example.pl ors@example.hu stefan@example.ro "
run "the mailbox" mails
has "a Polish subject, decoded" "^lukasz@example.pl|Witamy w klubie Kawiarnia Pod Lipą|"
has "a Romanian body with ș and ț" "^stefan@example.ro|Bine ai venit la Kawiarnia Pod Lipą|.*|Bună, Ștefan,"
has "a Hungarian body" "^ors@example.hu|.*|Szia Őrs, üdvözlünk"
has "a stable Message-ID" "|<[0-9a-f]\{32\}\.tally@example.pl>|"
has "List-Unsubscribe names the customer, with their token" \
    "|<mailto:stop@example.pl?subject=stop%20$LUK-[0-9a-f]\{20\}>, <https://example.pl/stop?c=$LUK&t=$LUK-[0-9a-f]\{20\}>|"
has "UTF-8, quoted-printable, the customer's language" "|text/plain; charset=UTF-8|quoted-printable|pl|"
run "the raw subjects" mails --raw-subject
has "are RFC 2047 encoded words" "^lukasz@example.pl|=?UTF-8?B?[A-Za-z0-9+/=]*?=|"
same "one-click unsubscribe for the https address" "$(grep -c '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' "$WORK"/mail/mail.*)" \
    "$(printf '%s\n%s\n%s' "$WORK/mail/mail.1:1" "$WORK/mail/mail.2:1" "$WORK/mail/mail.3:1")"
same "the SMS reached the gateway once" "$(ls "$WORK/sms" | grep -c '^sms\.')" 1
same "with the token" "$(head -n 1 "$WORK/sms/sms.1")" "Bearer s3cret-token"
same "form-encoded, the text in the customer's language" \
    "$(tail -n 1 "$WORK/sms/sms.1" | grep -c '^to=600100203&message=Cze%C5%9B%C4%87%20Anna%2C%20')" 1
same "every one recorded as sent, first try" "$(status_of "$LUK") $(status_of "$SMS")" "5:1 5:1"
run "message list --status sent" $T message list --status sent
same "lists the four" "$(printf '%s\n' "$OUT" | grep -c ' sent ')" 4
run "message list --customer" $T message list --customer 600100202
has "shows one customer's" "welcome    email    hu sent       Őrs Kovács"
MID=$(sql "SELECT message_id FROM outbox WHERE customer = '$LUK'")
same "the ledger keeps the Message-ID" "$(mails | grep -c "|$MID|")" 1
run "another pass" $M --once
same "sends nothing twice" "$(ls "$WORK/mail" | grep -c '^mail\.')" 3

# --- the weekly cap ------------------------------------------------------------------
$T program set messages.weekly_cap 1 >/dev/null
$T program set messages.reward 1 >/dev/null
$T reward add "Kawa" --stamps 1 >/dev/null
$T earn 600100200 10,00 >/dev/null
run "a second message this week" $M --once
same "is suppressed by the weekly cap" "$(sql "SELECT status || reason FROM outbox WHERE customer = '$LUK' AND trig = 'reward'")" \
    "2@capped"
same "and not sent" "$(ls "$WORK/mail" | grep -c '^mail\.')" 3
$T program set messages.weekly_cap 0 >/dev/null
$T program set messages.max_tries 3 >/dev/null

# --- a refusing, slow and down server; a failing gateway ------------------------------
# fresh NAME: a new customer whose welcome goes by e-mail to c$n@example.pl
# (n counted up before each: $(fresh) runs in a subshell).
n=10
fresh() { add --name "$1" --phone "6002000$n" --email "c$n@example.pl" --consent yes --consent-email yes; }
echo refuse >"$WORK/mail/mode"
n=$((n + 1)); C1=$(fresh "Refused")
$M --poll-ms 100 >"$WORK/m1.log" 2>&1 &
MP=$! PIDS="$PIDS $!"
until_sql "a refusing server: tried 3 times, then failed" "SELECT status || ':' || tries FROM outbox WHERE customer = '$C1'" "4:3"
same "the server's reason is kept" "$(sql "SELECT reason FROM outbox WHERE customer = '$C1'" | grep -c '451')" 1
same "each failed try was recorded, with a back-off" \
    "$(sql "SELECT count(*) FROM events WHERE type = 'message' AND json_extract(data, '\$.status') = 'retrying' AND reason LIKE '%451%' AND json_extract(data, '\$.msg') = 'msg:welcome:$C1' AND json_extract(data, '\$.next_try') > wall")" 2
echo slow >"$WORK/mail/mode"
n=$((n + 1)); C2=$(fresh "Slow")
until_sql "a slow server: timed out 3 times, then failed" "SELECT status || ':' || tries FROM outbox WHERE customer = '$C2'" "4:3"
same "with a time-out as the reason" "$(sql "SELECT reason FROM outbox WHERE customer = '$C2'" | grep -ci 'time')" 1
echo error >"$WORK/sms/mode"
C3=$(add --name "Gateway Down" --phone 600300001 --consent yes --consent-sms yes)
until_sql "a gateway answering 500: failed after 3 tries" "SELECT status || ':' || tries FROM outbox WHERE customer = '$C3'" "4:3"
same "the HTTP status is the reason" "$(sql "SELECT reason FROM outbox WHERE customer = '$C3'")" "sms: the gateway answered HTTP 500"
kill "$MP"; wait "$MP"
same "the messenger stops on TERM" "$?" 0
rm -f "$WORK/mail/mode" "$WORK/sms/mode"
settings "$WORK/down.conf" "$(free_port)"
n=$((n + 1)); C4=$(fresh "Server Down")
$T messenger --settings "$WORK/down.conf" --poll-ms 100 >"$WORK/m2.log" 2>&1 &
MP=$! PIDS="$PIDS $!"
until_sql "no server listening: failed after 3 tries" "SELECT status || ':' || tries FROM outbox WHERE customer = '$C4'" "4:3"
same "could not connect, it says" "$(sql "SELECT reason FROM outbox WHERE customer = '$C4'" | grep -ci 'connect')" 1
kill "$MP"; wait "$MP"
run "message list --status failed" $T message list --status failed
same "lists the four failures" "$(printf '%s\n' "$OUT" | grep -c ' failed ')" 4

# --- kill -9 in the middle of a batch -----------------------------------------------
echo hold >"$WORK/mail/mode"
n=$((n + 1)); K1=$(fresh "Kill One"); n=$((n + 1)); K2=$(fresh "Kill Two"); n=$((n + 1)); K3=$(fresh "Kill Three")
before=$(ls "$WORK/mail" | grep -c '^mail\.')
$M --poll-ms 100 >"$WORK/m3.log" 2>&1 &
MP=$!
PIDS="$PIDS $MP"
until_file "the server holds a mail of the batch" "$WORK/mail/held.$((before + 1))"
kill -9 "$MP"; wait "$MP" 2>/dev/null
same "killed mid-send, the batch is on record as in flight" \
    "$(sql "SELECT value FROM local WHERE key = 'messenger.inflight'")" \
    "$(printf 'msg:welcome:%s\nmsg:welcome:%s\nmsg:welcome:%s' "$K1" "$K2" "$K3")"
same "and still waiting" "$(sql "SELECT group_concat(status, ' ') FROM outbox WHERE customer IN ('$K1', '$K2', '$K3')")" "0 0 0"
rm -f "$WORK/mail/mode"; touch "$WORK/mail/release"
run "the messenger starts again" $M --once
same "nothing is in flight any more" "$(sql "SELECT length(value) FROM local WHERE key = 'messenger.inflight'")" 0
same "every message of the batch is sent" \
    "$(sql "SELECT group_concat(status, ' ') FROM outbox WHERE customer IN ('$K1', '$K2', '$K3')")" "5 5 5"
same "the one in flight arrived twice, with one Message-ID" \
    "$(mails | grep -c "^c$((n - 2))@example.pl|"):$(mails | grep "^c$((n - 2))@example.pl|" | cut -d'|' -f3 | sort -u | wc -l)" "2:1"
same "every recipient got it at most twice" "$(mails | cut -d'|' -f1 | sort | uniq -c | awk '$1 > 2' | wc -l)" 0
same "each is recorded as sent again after the interruption" \
    "$(sql "SELECT group_concat(reason || tries, ' ') FROM outbox WHERE customer IN ('$K1', '$K2', '$K3')")" \
    "@resent1 @resent1 @resent1"
rm -f "$WORK/mail/release"

# --- an opt-out at another till while the sender sends ------------------------------
"$T" syncd --listen 127.0.0.1:0 --heartbeat-ms 300 2>>"$WORK/syncd.a.log" &
PIDS="$PIDS $!"
i=0
while [ $i -lt 100 ]; do
    ADDR=$("$T" --format json sync status 2>/dev/null | sed -n 's/.*"address":"\([^"]*\)".*/\1/p' | head -n 1)
    [ -n "$ADDR" ] && break
    sleep 0.1; i=$((i + 1))
done
B=$WORK/b.db
tok=$("$T" --format json till invite | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
run "till B joins" "$T" --db "$B" till join "$ADDR" "$tok" --name "Kasa 2" --listen 127.0.0.1:0
"$T" --db "$B" syncd --heartbeat-ms 300 2>>"$WORK/syncd.b.log" &
PIDS="$PIDS $!"
echo hold >"$WORK/mail/mode"
n=$((n + 1)); O1=$(fresh "Opt First"); n=$((n + 1)); O2=$(fresh "Opt Later")
until_sql "B has both messages" "SELECT count(*) FROM outbox WHERE customer IN ('$O1', '$O2')" 2 "$B"
before=$(ls "$WORK/mail" | grep -c '^mail\.')
settings "$WORK/patient.conf" "$SMTP_PORT" "timeout_seconds = 120"    # the held send must not time out
$T messenger --settings "$WORK/patient.conf" --poll-ms 100 >"$WORK/m4.log" 2>&1 &
MP=$! PIDS="$PIDS $!"
until_file "A is sending the first" "$WORK/mail/held.$((before + 1))"
run "the second customer opts out at till B" "$T" --db "$B" customer edit "$O2" --consent-email no
until_sql "the opt-out reaches the sender" "SELECT email_ok FROM contact WHERE customer = '$O2'" 0
rm -f "$WORK/mail/mode"; touch "$WORK/mail/release"
until_sql "the first is sent" "SELECT status FROM outbox WHERE customer = '$O1'" 5
until_sql "the second is suppressed: opted out" "SELECT status || reason FROM outbox WHERE customer = '$O2'" "2@opted-out"
same "no mail went to the customer who opted out" "$(mails | grep -c "^c$n@example.pl|")" 0
until_sql "till B sees both outcomes" \
    "SELECT group_concat(status, ' ') FROM (SELECT status FROM outbox WHERE customer IN ('$O1', '$O2') ORDER BY status)" "2 5" "$B"
kill "$MP"; wait "$MP"

# --- no network: the mail server's name does not resolve ---------------------------
settings "$WORK/offline.conf" "$SMTP_PORT" "smtp_host = offline.invalid"
n=$((n + 1)); OFF=$(fresh "Offline")
$T messenger --settings "$WORK/offline.conf" --poll-ms 100 >"$WORK/m5.log" 2>&1 &
MP=$! PIDS="$PIDS $!"
until_sql "with no network the messenger keeps probing" \
    "SELECT count(*) >= 3 FROM events WHERE type = 'message' AND json_extract(data, '\$.msg') = 'msg:welcome:$OFF' AND json_extract(data, '\$.status') = 'retrying'" 1
same "and the message waits without using up its tries" "$(status_of "$OFF")" "1:0"
kill "$MP"; wait "$MP"

# --- opting out by reply, heard at till B while till A sends -------------------------
sms_count() { ls "$WORK/sms" | grep -c '^sms\.'; }
$T earn 600100203 10,00 >/dev/null        # a reward message by SMS, waiting
$T earn 600100202 10,00 >/dev/null        # one by e-mail
same "two messages wait to go" \
    "$(sql "SELECT group_concat(x, ' ') FROM (SELECT channel || status AS x FROM outbox WHERE trig = 'reward' AND customer IN ('$SMS', '$ORS') ORDER BY channel)")" "email0 sms0"
until_sql "B has them" "SELECT count(*) FROM outbox WHERE trig = 'reward' AND customer IN ('$SMS', '$ORS')" 2 "$B"
run "a thank-you is no opt-out" "$T" --db "$B" message inbound --from +48600100203 --text "Dziękuję!"
has "and says so" "Not an opt-out: nothing changed"
run "STOP replied to an SMS, handed over by the gateway's callback at till B" \
    "$T" --db "$B" message inbound --from +48600100203 --text "Stop"
has "opts that customer out of SMS" "1 customer opted out of SMS"
TOK=$(mails | grep "^ors@example.hu|" | head -n 1 | sed -n 's/.*stop?c=[0-9a-f]*&t=\([0-9a-f-]*\)>.*/\1/p')
FORGED=$(printf '%s' "$TOK" | sed 's/.$/x/; s/x$/0/')
[ "$FORGED" = "$TOK" ] && FORGED=$(printf '%s' "$TOK" | sed 's/.$/1/')
refuse "an unsubscribe link with a changed token is refused" "not an unsubscribe token" "$T" --db "$B" message unsubscribe "$FORGED"
run "the one-click unsubscribe link of Őrs's mail, at till B" "$T" --db "$B" message unsubscribe "$TOK"
has "opts them out of e-mail" "1 customer opted out of e-mail"
LTOK=$(mails | grep "^lukasz@example.pl|" | head -n 1 | sed -n 's/.*subject=stop%20\([0-9a-f-]*\)>.*/\1/p')
run "the unsubscribe mail, from a forwarding address, names the customer by its token" \
    "$T" --db "$B" message inbound --from lukasz@forward.example --text "stop $LTOK"
has "and opts them out" "1 customer opted out of e-mail"
until_sql "the opt-outs reach the sender" \
    "SELECT group_concat(x, ' ') FROM (SELECT email_ok || sms_ok AS x FROM contact WHERE customer IN ('$SMS', '$ORS', '$LUK') ORDER BY customer = '$SMS', customer = '$ORS')" "00 00 00"
before=$(sms_count):$(mails | grep -c "^ors@example.hu|")
run "the sender's next pass" $M --once
same "sends neither" "$(sms_count):$(mails | grep -c "^ors@example.hu|")" "$before"
same "both are held back: opted out" \
    "$(sql "SELECT group_concat(status || reason, ' ') FROM outbox WHERE trig = 'reward' AND customer IN ('$SMS', '$ORS')")" "2@opted-out 2@opted-out"
run "the customer's preferences" $T customer show "$ORS"
has "say who opted out" "E-mail offers: no (since .*, recorded by the customer)"
run "a second STOP" "$T" --db "$B" message inbound --from 600100203 --text "STOP"
has "changes nothing" "Nobody had consent to withdraw"

# --- the messages report, recomputed apart --------------------------------------------
run "another customer sent a welcome opts out of e-mail" $T customer edit "$STE" --consent-email no
run "a welcome brings a coupon now" $T program set offer.welcome coupon:10%
CP1=$(add --name "Kupon Jeden" --phone 600100210 --consent yes)
CP2=$(add --name "Kupon Dwa" --phone 600100211 --consent yes)
CODE=$(sql "SELECT json_extract(vars, '\$.coupon') FROM outbox WHERE trig = 'welcome' AND customer = '$CP1'")
run "one of the two welcome coupons is used" $T coupon redeem "$CODE" --card "$CP1"
run "the messages report" $T report messages --period "$(date +%Y-%m-%d)" --format json
has "counts the coupon used, under its trigger and channel" \
    '"trigger":"welcome","channel":"counter","queued":2,[^}]*"coupons_used":1,"previous_coupons_used":0}'
same "counts the welcome e-mails sent and the three opt-outs after (a link, a mail, an edit)" \
    "$(printf '%s\n' "$OUT" | grep -o '{"trigger":"welcome","channel":"email","queued":[0-9]*,"previous_queued":0,"sent":[0-9]*' | sed 's/.*"sent"://'):$(printf '%s\n' "$OUT" | grep -o '"trigger":"welcome","channel":"email"[^}]*"opted_out":[0-9]*' | sed 's/.*://')" \
    "$(sql "SELECT count(*) FROM outbox WHERE trig = 'welcome' AND channel = 'email' AND status = 5"):3"
has "and the members who came back after theirs" '"trigger":"welcome","channel":"email"[^}]*"visited":2,'
ORIG=$(sqlite3 "$TALLY_DB" "SELECT value FROM local WHERE key = 'origin'")
TODAY=$(date +%Y-%m-%d)
run "the report agrees with the oracle, figure by figure" python3 "$E2E_DIR/oracle.py" "$T" "$ORIG" "$TODAY:$TODAY" --
has "every figure" "^[0-9]* figures compared, 0 differ"
refuse "the oracle notices a messages figure changed" "1 differ" python3 "$E2E_DIR/oracle.py" "$T" "$ORIG" \
    --tamper-messages "$TODAY:$TODAY" --
refuse "messages are the whole shop's" "leave out --till" $T report messages --till "$ORIG"
