# lib.sh - helpers for the end-to-end scripts. Each check prints one line
# "PASS: what" or "FAIL: what ..." that tests/run.sh counts.
#   run  "what" CMD...              CMD must succeed; output in $OUT
#   refuse "what" PATTERN CMD...    CMD must fail with PATTERN in its output
#   has  "what" PATTERN             the last $OUT contains PATTERN
#   same "what" A B                 A and B are equal strings
set -u
: "${TALLY:?TALLY must name the tally binary}"
E2E_DIR=$(cd "$(dirname "$0")" && pwd)   # before the cd below
REPO=$(cd "$E2E_DIR/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export TALLY_DB="$WORK/shop.db" LANG=C.UTF-8 LANGUAGE= LC_ALL=
unset TALLY_STAFF TALLY_PIN TALLY_NEW_PIN

# Processes a script starts in the background go into PIDS; kill_pids_on_exit
# makes them die (kill -9) with the script, and its work directory go.
PIDS=""
kill_pids_on_exit() {
    trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; for p in $PIDS; do wait "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
    trap 'exit 1' INT TERM
}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $*"; }

run() {
    what=$1; shift
    if OUT=$("$@" 2>&1); then pass "$what"; else fail "$what (exit $?): $OUT"; fi
}

refuse() {
    what=$1; pattern=$2; shift 2
    if OUT=$("$@" 2>&1); then
        fail "$what: it succeeded: $OUT"
    elif printf '%s\n' "$OUT" | grep -q -- "$pattern"; then
        pass "$what"
    else
        fail "$what: expected '$pattern', got: $OUT"
    fi
}

has() {
    if printf '%s\n' "$OUT" | grep -q -- "$2"; then pass "$1"; else fail "$1: no '$2' in: $OUT"; fi
}

# aligned WHAT REGEX: in every line of $OUT where REGEX (Python) matches, it
# (or its group, if it has one) starts at the same character column - a
# table whose widths were counted in bytes shifts the lines with ł or ő.
aligned() {
    cols=$(printf '%s\n' "$OUT" | python3 -c 'import re, sys
print(" ".join(sorted({str(m.start(1 if m.re.groups else 0)) for l in sys.stdin.buffer.read().decode().splitlines()
                      for m in [re.search(sys.argv[1], l)] if m})))' "$2")
    case $cols in
    *" "* | "") fail "$1: '$2' at columns '$cols' in: $OUT" ;;
    *) pass "$1" ;;
    esac
}

same() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: '$2' != '$3'"; fi
}

# sql QUERY: a value straight from the database, to check what was written.
# It waits for a writer's lock: after a kill -9 mid-write, the next opener
# recovers the WAL, and a reader without a timeout fails meanwhile.
sql() { sqlite3 -cmd ".timeout 5000" "$TALLY_DB" "$1"; }

# until_sql WHAT QUERY VALUE [DB]: passes once QUERY gives VALUE (20 s at
# most): the positive signal a script waits for before it looks further.
until_sql() {
    i=0
    while [ $i -lt 200 ]; do
        got=$(sqlite3 -cmd ".timeout 5000" "${4:-$TALLY_DB}" "$2" 2>/dev/null)
        [ "$got" = "$3" ] && { pass "$1"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    fail "$1: '$got', not '$3'"
    return 1
}

# one_day SECONDS: for a script whose checks count on one local "today"
# from start to end (what it dates by hand or with date(1), and what tally
# takes for today): when local midnight is less than SECONDS away, it waits
# until the date has changed, so that the script runs on one day. CI runs
# at any hour; SECONDS is the script's run on a loaded machine, and more.
one_day() {
    eval "$(date '+day_h=%-H day_m=%-M day_s=%-S day_of=%F')"
    [ $((86400 - day_h * 3600 - day_m * 60 - day_s)) -lt "$1" ] || return 0
    i=0
    while [ "$(date +%F)" = "$day_of" ] && [ $i -lt $(($1 * 10 + 20)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# as NAME PIN CMD...: run tally as a staff member.
as() { n=$1; p=$2; shift 2; TALLY_STAFF=$n TALLY_PIN=$p "$@"; }

# forge CODE: CODE (human or QR form) with one symbol of its MAC changed and
# the check symbol made right again: what a forger who guessed would print,
# never a typo (scanner.h, CARD CODES).
forge() {
    a=0123456789ABCDEFGHJKMNPQRSTVWXYZ
    s=$(printf '%s' "$1" | sed 's/^[Tt][Aa][Ll][Ll][Yy]://' | tr -d ' -' | tr a-z A-Z | cut -c1-19)
    out="" vals="" i=0
    while [ $i -lt 19 ]; do
        c=$(printf '%s' "$s" | cut -c$((i + 1)))
        p=${a%%"$c"*}
        v=${#p}
        [ $i -eq 12 ] && v=$((v ^ 1))
        vals="$v $vals"
        out="$out$(printf '%s' "$a" | cut -c$((v + 1)))"
        i=$((i + 1))
    done
    acc=0   # sum of x^(i+1) * symbol i over GF(32), by Horner's rule
    for v in $vals; do
        acc=$(( (acc ^ v) << 1 ))
        [ $((acc & 32)) -ne 0 ] && acc=$((acc ^ 37))
    done
    printf '%s%s\n' "$out" "$(printf '%s' "$a" | cut -c$((acc + 1)))" | sed 's/..../&-/g; s/-$//'
}

# A screen in tmux, for the scripts that drive one: set SOCK (a tmux server
# of the script's own) first; the pane is k unless PANE says.
#   TM ARGS...                   tmux on that server
#   screen                       the visible terminal now
#   wait_for WHAT PATTERN [TENTHS]  passes once PATTERN shows, fails after
#                                TENTHS tenths of a second (WAIT_TENTHS, 50)
TM() { tmux -L "$SOCK" "$@"; }
screen() { TM capture-pane -t "${PANE:-k}" -p; }
wait_for() {
    i=0
    while [ $i -lt "${3:-${WAIT_TENTHS:-50}}" ]; do
        if screen | grep -q -- "$2"; then pass "$1"; return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    fail "$1: no '$2' on screen:"
    screen | sed 's/^/    | /'
    return 1
}
keys() { TM send-keys -t "${PANE:-k}" "$@"; sleep 0.15; }

# new_shop: a shop "Kawiarnia" (PLN) in $TALLY_DB with the manager Mira (PIN
# 2468) and the barista Bogdan (1111); M and B run a command as each.
M() { as Mira 2468 "$@"; }
B() { as Bogdan 1111 "$@"; }
new_shop() {
    env TALLY_NEW_PIN=2468 "$TALLY" init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
    M env TALLY_NEW_PIN=1111 "$TALLY" staff add Bogdan --role barista >/dev/null
}

# other_shop: another shop in $WORK; sets OTHER (its database) and OCARD
# (a card of it, phone 700100200). The shop tag has 10 bits, so one other
# shop in 1024 shares this shop's and its cards read here as forgeries:
# then another, up to four times. Told apart by asking $TALLY_DB as Mira.
other_shop() {
    for n in 1 2 3 4; do
        OTHER=$WORK/other$n.db
        env TALLY_DB="$OTHER" TALLY_NEW_PIN=1234 "$TALLY" init --shop Other --currency PLN --manager Ola >/dev/null 2>&1
        OCARD=$(env TALLY_DB="$OTHER" TALLY_STAFF=Ola TALLY_PIN=1234 "$TALLY" customer add --name Ola --phone 700100200 |
                sed -n 's/.*Card code: //p')
        M "$TALLY" customer show "$OCARD" 2>&1 | grep -q "another shop" && return 0
    done
}
