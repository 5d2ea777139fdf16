#!/bin/sh
# Every screen of the kiosk and the dashboard, in every shipped language, in
# an 80x24 terminal (tmux): nothing is cut and nothing English shows on a
# translated screen. tui/screen.c notes every text that did not fit where
# it was put in the file named by TALLY_CUT_LOG (a line cut at its width, a
# message longer than its rows, a key left off the help bar); this script
# walks the screens and fails on any note. Names and figures are short here,
# so what does not fit is always a translated string: rewrite it, do not
# cut it.
# A check of words and widths, which the sanitizer build would only repeat
# (kiosk.sh and dashboard.sh drive the same screens under it).
case "${TALLY:-}" in */san/*) exit 0 ;; esac
. "$(dirname "$0")/lib.sh"
T=$TALLY
SOCK=                       # TM, screen and wait_for: lib.sh; one server per screen walked
trap 'TM kill-server 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
command -v gettext >/dev/null || { fail "gettext (gettext-base) is needed to wait for translated text"; exit 1; }
LOCALES=${TALLY_LOCALEDIR:-$REPO/build/locale}

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
$T demo seed --customers 30 --days 60 --seed 3 >/dev/null
$T program set tiers "Silver:0:1,Gold:300:1.25,Platinum:2000:1.5" >/dev/null
$T reward add "Kawa" --points 20 >/dev/null
$T customer add --name "Ewa Lis" --phone 600100200 --birthday 1990-05-05 --consent yes >/dev/null
$T earn 600100200 250,00 >/dev/null
$T coupon issue 600100200 --percent 10 --days 30 >/dev/null 2>&1
unset TALLY_STAFF TALLY_PIN

# tr TEXT: TEXT in the language being walked, as the kiosk shows it.
tr_() { env LC_ALL=C.UTF-8 LANGUAGE="$L" TEXTDOMAINDIR="$LOCALES" gettext -d tally "$1"; }
# look: the screen as it is, kept for the English-word check below.
look() { sleep 0.1; screen >>"$WORK/$L.screens"; }
step() { keys "$@"; look; }

for L in en pl ro hu; do
    : >"$WORK/$L.cuts"
    : >"$WORK/$L.screens"
    SOCK="tally-screens-$$-$L-kiosk"
    TM new-session -d -s k -x 80 -y 24 "TALLY_CUT_LOG='$WORK/$L.cuts' TALLY_DB='$TALLY_DB' TALLY_LOCALEDIR='$LOCALES' $T --lang $L kiosk --cards-dir '$WORK/cards'; sleep 60"
    wait_for "$L: the kiosk's login" "$(tr_ "Log in to start")" || continue
    look
    step F9                                  # unlock with no name: the hint
    keys Bogdan Tab 1111 Enter
    wait_for "$L: logged in" "Kawiarnia" && look
    step F11                                 # the program, each setting's help
    n=$(env TALLY_DB="$TALLY_DB" $T --format json program show | tr ',' '\n' | grep -c '":')
    [ "$n" -gt 20 ] || fail "$L: the program lists $n settings"
    i=0
    while [ $i -lt "$n" ]; do TM send-keys -t k Down; sleep 0.05; i=$((i + 1)); done
    look
    step Escape
    step F2                                  # enrolling
    step Escape
    keys 600100200 Enter
    wait_for "$L: the customer opens" "Ewa Lis" && look
    step Tab                                 # preferences (contact)
    step Escape
    step F2                                  # a purchase
    step Escape
    step F3                                  # rewards, and the confirmation
    step Enter
    step Escape
    step F4                                  # a coupon
    step Escape
    step F7                                  # NPS
    step Escape
    step F6                                  # void: the list, then the manager
    step Enter
    step Escape
    step F8                                  # adjust: the manager first
    step Escape
    step F9                                  # a limit passed by the manager
    step Escape
    step F5                                  # nothing of this session to undo
    step F1                                  # told at the counter
    step Escape
    keys a Enter                             # a search with many answers
    look
    step Escape
    step F10                                 # closing, asked
    step Escape
    step F12                                 # locked
    TM kill-server 2>/dev/null

    SOCK="tally-screens-$$-$L-dashboard"
    TM new-session -d -s k -x 80 -y 24 "TALLY_CUT_LOG='$WORK/$L.cuts' TALLY_DB='$TALLY_DB' TALLY_LOCALEDIR='$LOCALES' TALLY_STAFF=Mira TALLY_PIN=2468 $T --lang $L dashboard; sleep 60"
    wait_for "$L: the dashboard" "Kawiarnia" || continue
    look
    for k in 7 3 Y 1; do step "$k"; done
    for s in 1 2 3 4 5; do step Tab; step Enter; step Escape; done
    TM kill-server 2>/dev/null

    if [ -s "$WORK/$L.cuts" ]; then
        fail "$L: every text fits 80x24; cut: $(sort -u "$WORK/$L.cuts" | head -n 12 | sed 's/^/    | /')"
    else
        pass "$L: every text of the kiosk and the dashboard fits 80x24"
    fi
    [ "$(grep -c . "$WORK/$L.screens")" -gt 300 ] && pass "$L: the walk saw the screens" ||
        fail "$L: only $(grep -c . "$WORK/$L.screens") lines of screens seen"
done

# English words a translated screen must not show: the program's words and
# the codes it keeps (segments, reward kinds). Key names (Enter, Esc, Tab)
# are the keys' own, the program's setting keys (points.per_unit) are what
# 'tally program set' takes, and the seeded rewards are the shop's data.
ENGLISH='\b(points?|stamps?|visits?|customers?|rewards?|redeem|earn|undo|void|coupon|members|sales|period|quit|back|choose|select|cancel|save|next|Scan|OFFLINE|Top|digest|none|today|yes|Locked|Hello|new|lapsed|at-risk|high-value|regular|occasional)\b'
DATA='[a-z_]+\.[a-z_]+|Cake of the day|Free coffee|Lunch for two|Croissant|Kawiarnia Pod Lipą|Ewa Lis'
for L in pl ro hu; do
    words=$(sed -E "s/$DATA//g" "$WORK/$L.screens" | grep -oE "$ENGLISH" | sort | uniq -c | sort -rn | head -n 8 | tr '\n' ' ')
    [ -z "$words" ] && pass "$L: no English word on the screens" || fail "$L: English on the screens: $words"
done
# The check itself can fail: the English walk is full of them.
sed -E "s/$DATA//g" "$WORK/en.screens" | grep -qE "$ENGLISH" && pass "the English-word check finds English" ||
    fail "the English-word check found nothing in English"
