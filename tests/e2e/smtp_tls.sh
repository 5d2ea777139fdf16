#!/bin/sh
# tally messenger over an encrypted connection, as a shop's real mail
# account wants it: STARTTLS (port 587's way) and implicit TLS (465's),
# each against aiosmtpd on loopback with a self-signed certificate made
# here with openssl. The server records whether the session was
# encrypted; the STARTTLS server refuses mail before STARTTLS, and a
# certificate the messenger was not told to trust is refused by it.
. "$(dirname "$0")/lib.sh"
T=$TALLY
PY=python3
$PY -c 'import aiosmtpd' 2>/dev/null || PY=/usr/bin/python3     # Debian's, beside a pyenv
command -v openssl >/dev/null || { fail "openssl is needed (scripts/deps.sh installs it)"; exit 1; }
PIDS=""
trap 'kill -9 $PIDS 2>/dev/null; wait; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run "a self-signed certificate for localhost" openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
# serve NAME FLAGS...: aiosmtpd recording into $WORK/NAME; its port in $PORT.
serve() {
    name=$1; shift
    mkdir "$WORK/$name"
    PORT=$(free_port)
    (cd "$WORK/$name" && PYTHONPATH="$E2E_DIR" exec $PY -m aiosmtpd -n -l "127.0.0.1:$PORT" "$@" \
        -c smtp_recorder.Recorder "$WORK/$name") 2>"$WORK/$name.log" &
    PIDS="$PIDS $!"
    i=0
    until $PY -c "import socket; socket.create_connection(('127.0.0.1', $PORT)).close()" 2>/dev/null || [ $i -ge 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    same "aiosmtpd ($name) listens" "$([ $i -lt 100 ] && echo yes)" yes
}
serve starttls --tlscert "$WORK/cert.pem" --tlskey "$WORK/key.pem"
STARTTLS_PORT=$PORT
serve tls --smtpscert "$WORK/cert.pem" --smtpskey "$WORK/key.pem"
TLS_PORT=$PORT

# settings FILE SECURITY PORT [EXTRA...]
settings() {
    f=$1; sec=$2; port=$3; shift 3
    { echo "smtp_host = localhost"; echo "smtp_port = $port"; echo "smtp_security = $sec"
      echo "from = kawiarnia@example.pl"; echo "retry_seconds = 1"; echo "timeout_seconds = 5"
      for x in "$@"; do echo "$x"; done; } >"$f"
    chmod 600 "$f"
}
env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
for s in "nps.every_days 0" "messages.welcome 1" "messages.quiet_from 0" "messages.quiet_to 0" "messages.max_tries 20"; do
    $T program set $s >/dev/null
done
$T program set messages.sender "$(sql "SELECT value FROM local WHERE key = 'origin'")" >/dev/null
add() { $T --format json customer add --name "$1" --phone "$2" --email "$3" --consent yes --consent-email yes |
        sed -n 's/.*"id":"\([^"]*\)".*/\1/p'; }
status_of() { sql "SELECT status || ':' || tries FROM outbox WHERE customer = '$1'"; }
tls_of() { grep -l "^X-Envelope-To: <\?$1>\?" "$WORK"/*/mail.* 2>/dev/null | xargs -r sed -n 's/^X-TLS: //p' | tr -d '\r'; }

# STARTTLS, trusting the shop relay's own certificate.
A=$(add "Anna Szyfr" 600100301 anna@example.pl)
settings "$WORK/plain.conf" none "$STARTTLS_PORT"
run "without STARTTLS" $T messenger --settings "$WORK/plain.conf" --once
until_sql "the server refuses the mail: try again" "SELECT status FROM outbox WHERE customer = '$A'" 1
same "with its 530 (must issue STARTTLS first)" "$(sql "SELECT reason FROM outbox WHERE customer = '$A'" | grep -c ' 530')" 1
settings "$WORK/untrusted.conf" starttls "$STARTTLS_PORT"
sql "UPDATE outbox SET next_try = 0 WHERE customer = '$A'" # its turn again now, not after the back-off
run "STARTTLS with a certificate nobody vouches for" $T messenger --settings "$WORK/untrusted.conf" --once
same "is refused by the messenger, and retried later" \
    "$(sql "SELECT status || ':' || (reason LIKE '%certificate%' OR reason LIKE '%SSL%' OR reason LIKE '%TLS%') FROM outbox WHERE customer = '$A'")" "1:1"
same "nothing reached the server" "$(ls "$WORK/starttls" | grep -c '^mail\.')" 0
settings "$WORK/starttls.conf" starttls "$STARTTLS_PORT" "ca_file = $WORK/cert.pem"
sql "UPDATE outbox SET next_try = 0 WHERE customer = '$A'"
run "STARTTLS, trusting the relay's certificate (ca_file)" $T messenger --settings "$WORK/starttls.conf" --once
same "the mail is sent" "$(status_of "$A" | cut -d: -f1)" 5
same "over an encrypted session" "$(tls_of anna@example.pl)" "TLSv1.3"

# Implicit TLS (port 465's way).
B=$(add "Bartek Tls" 600100302 bartek@example.pl)
settings "$WORK/tls.conf" tls "$TLS_PORT" "ca_file = $WORK/cert.pem"
run "implicit TLS" $T messenger --settings "$WORK/tls.conf" --once
same "the mail is sent" "$(status_of "$B")" "5:1"
same "over TLS from the first byte" "$(tls_of bartek@example.pl)" "TLSv1.3"
run "the mailbox" $PY "$E2E_DIR/mailbox.py" "$WORK/tls"
has "holds the welcome" "^<\?bartek@example.pl>\?|Welcome to Kawiarnia|"
refuse "a ca_file that cannot be read is refused" "not a good value for ca_file" \
    sh -c "settings_bad() { :; }; printf 'smtp_host = localhost\nfrom = a@b.pl\nca_file = $WORK/none.pem\n' >$WORK/bad.conf; chmod 600 $WORK/bad.conf; $T messenger --settings $WORK/bad.conf --once"
