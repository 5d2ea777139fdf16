#!/bin/sh
# Figures as each language writes them: the reports and the dashboard show
# rates with the language's decimal comma and percent sign ("47,5%" in
# Polish and Hungarian, "47,5 %" in Romanian), while JSON keeps the
# machine form ("47.5") for spreadsheets and scripts.
. "$(dirname "$0")/lib.sh"
T=$TALLY
env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
$T demo seed --customers 120 --days 60 --end 2026-11-30 >/dev/null 2>&1 || fail "demo seed"

rate_line() { $T --lang "$1" report summary --period 2026-11 2>&1 | sed -n '/[0-9]%\|[0-9] %/p' | head -n 1; }
expect() {   # LANG PATTERN what
    line=$(rate_line "$1")
    if printf '%s\n' "$line" | grep -q -- "$2"; then pass "$3"; else fail "$3: '$line' does not match '$2'"; fi
}
expect en ' [0-9]*\.[0-9]%' "English rates: 47.5%"
expect pl ' [0-9]*,[0-9]%' "Polish rates: 47,5% with a decimal comma"
expect hu ' [0-9]*,[0-9]%' "Hungarian rates: 47,5%"
expect ro ' [0-9]*,[0-9] %' "Romanian rates: 47,5 % with a space before the sign"
OUT=$($T --lang pl report summary --period 2026-11 2>&1)
if printf '%s\n' "$OUT" | grep -q '[0-9]\.[0-9]%\|[0-9]\.[0-9][0-9]$'; then
    fail "a Polish report still has a decimal point: $(printf '%s\n' "$OUT" | grep '[0-9]\.[0-9]' | head -n 2)"
else
    pass "no decimal point left in the Polish summary"
fi
OUT=$($T --lang pl --format json report summary --period 2026-11 2>&1)
printf '%s\n' "$OUT" | grep -q '"repeat_rate":[0-9-]*\.[0-9],' && pass "JSON keeps the machine form" ||
    fail "JSON rate: $(printf '%s\n' "$OUT" | grep -o '"repeat_rate":[^,]*' | head -n 1)"
OUT=$($T --lang pl report summary --period 2026-11 --format csv 2>&1)
printf '%s\n' "$OUT" | grep -q '^repeat_rate,[0-9]*\.[0-9],' && pass "CSV keeps the machine form too" ||
    fail "CSV rate: $(printf '%s\n' "$OUT" | grep '^repeat_rate' | head -n 1)"

# The dashboard, in Romanian, at 80x24.
SOCK="tally-numbers-$$"
TM() { tmux -L "$SOCK" "$@"; }
trap 'TM kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
TM new-session -d -s d -x 80 -y 24 "TALLY_DB='$TALLY_DB' TALLY_STAFF=Mira TALLY_PIN=2468 TALLY_LOCALEDIR='${TALLY_LOCALEDIR:-}' $T --lang ro dashboard --period 2026-11; sleep 60"
i=0
while [ $i -lt 100 ] && ! TM capture-pane -t d -p | grep -q '[0-9],[0-9] %'; do sleep 0.1; i=$((i + 1)); done
OUT=$(TM capture-pane -t d -p)
has "the Romanian dashboard shows rates as 47,5 %" '[0-9],[0-9] %'
printf '%s\n' "$OUT" | grep -q '[0-9]\.[0-9] %' && fail "and no '47.5 %' is left: $OUT" || pass "and no '47.5 %' is left"
TM send-keys -t d q
