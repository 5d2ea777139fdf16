#!/bin/sh
# The manager's dashboard driven in a real terminal (tmux), on a small
# seeded shop: it draws the report figures, changes period, drills down,
# survives a resize, refreshes when another process writes, and quits.
. "$(dirname "$0")/lib.sh"
T=$TALLY
# The report's figures for the last 30 days, then the dashboard's, and
# today's date: one day.
one_day 120
SOCK="tally-dash-$$" PANE=d     # TM, screen and wait_for: lib.sh
trap 'TM kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

keys() { TM send-keys -t d "$@"; sleep 0.15; }
figure() {  # figure NAME [ARGS]: one figure of the summary report for the last 30 days
    $T report summary --format csv --last 30d | sed -n "s/^$1,\([^,]*\),.*/\1/p"
}

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia" --currency EUR --manager Mira >/dev/null
export TALLY_STAFF=Mira TALLY_PIN=2468
run "a small shop is seeded" $T demo seed --customers 200 --days 90 --seed 1
# Messages: one welcome waiting for the counter, one held back (no consent).
$T program set messages.welcome 1 >/dev/null
$T customer add --name "Ewa Wita" --phone 600700801 --consent yes >/dev/null
$T customer add --name "Olek Bez" --phone 600700802 >/dev/null
VISITS=$(figure visits)
ACTIVE=$(figure active_members)
AT_RISK=$($T report segments --format csv --last 30d | sed -n 's/^at-risk,\([0-9]*\),.*/\1/p')
SILVER=$($T report tiers --format csv --last 30d | sed -n 's/^Silver,\([0-9]*\),.*/\1/p')
# The most given reward: its count, and its name as the narrow column cuts it.
TOP=$($T report rewards --format csv --last 30d | sed -n 2p)
TOP_COUNT=$(echo "$TOP" | cut -d, -f4)
TOP_NAME=$(echo "$TOP" | cut -d, -f3 | cut -c1-8)
# A campaign on all members, with a holdout: its variant and the
# holdout on the dashboard as 'campaign show' counts them. Who is held
# out is a hash of the campaign's random id, member by member: on the
# at-risk members (11), with 20% held out nobody was one run in twelve,
# with half an arm was empty one run in 1,024; on all 200, never.
$T campaign create "Win back" --segment all --offer coupon:20% --expires 30d --holdout 50% >/dev/null
ARMS=$($T --format json campaign list | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
print(c["members"] - c["held_out"], c["held_out"])')
OFFERED=${ARMS% *} HELD=${ARMS#* }
TODAY=$(date +%F)
BACK=$(date -d "30 days ago" +%F)

TM new-session -d -s d -x 80 -y 24 "TALLY_DB='$TALLY_DB' TALLY_STAFF=Mira TALLY_PIN=2468 TALLY_LOCALEDIR='${TALLY_LOCALEDIR:-}' $T dashboard; echo DASHBOARD-ENDED; sleep 60"
wait_for "the dashboard draws" "Headline"
wait_for "it says when the figures were read" "updated [0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
wait_for "visits as the report counts them" "Visits  *$VISITS "
wait_for "active members as the report counts them" "Active members  *$ACTIVE "
wait_for "the period is the last 30 days up to today" "– $TODAY (30 days)"
wait_for "visits per day are charted, as many as the report counts" "Visits per day ($VISITS in all)"
wait_for "segments are shown" "at risk  *$AT_RISK "
wait_for "tiers are shown with the report's members" "Silver  *$SILVER "
wait_for "top rewards are shown with the report's count" " $TOP_COUNT $TOP_NAME"
wait_for "what became of the period's messages" "Messages: 0 sent, 0 failed, 1 held back, 1 waiting; 0 came back"
keys Tab Tab Enter
wait_for "Enter shows them per trigger and channel" "welcome, counter  *2  *0  *0  *1  *0  *0  *0"
wait_for "with their total" "all messages  *2  *0"
wait_for "and the coupons they brought that were used" "came back *coupons"
keys Escape
wait_for "the period's campaigns, each variant's verdict" "Campaigns: Win back (offer: [a-z]"
keys Tab Enter
wait_for "Enter shows each variant against the holdout" "Win back  *offer: 20% off  *$OFFERED  "
wait_for "and the holdout" "  holdout  *$HELD  "
keys Escape
keys Tab Tab Tab Tab

keys Left
wait_for "Left moves the period back by its length" "– $BACK (30 days)"
keys "]"
wait_for "] moves it forward again" "– $TODAY (30 days)"
keys Right
wait_for "not past today" "latest period"
keys 7
wait_for "7: the last 7 days" "– $TODAY (7 days)"
keys "["
wait_for "[ moves a 7-day period by 7 days" "– $(date -d '7 days ago' +%F) (7 days)"
keys Y
wait_for "Y: the last year" "(36[56] days)"
wait_for "a year is charted in columns of days" "each column is"
keys 1
wait_for "1: today" "$TODAY (1 day)"
keys 3
wait_for "3: the last 30 days again" "– $TODAY (30 days)"

keys Enter
wait_for "Enter drills into the at-risk list" "At risk on $TODAY: $AT_RISK members"
wait_for "the list has last visit and consent" "last visit.*consent"
keys Down NPage Up
keys Escape
wait_for "Esc goes back" "Headline"
keys Tab Tab Tab Tab Tab Down Enter
wait_for "a segment's members" "Segment high value"
keys Escape
keys Tab Tab Tab Tab Enter
wait_for "the headline figures in full" "Figures, .* against the previous 30 days"
keys Escape

TM resize-window -t d -x 40 -y 12
wait_for "a small terminal is explained" "needs a terminal"
TM resize-window -t d -x 80 -y 24
wait_for "back to full size" "Headline"
wait_for "the figures are back" "Visits  *$VISITS "

CARD=$($T customer add --name "Ola Nowak" --phone 600700800 --consent yes | sed -n 's/.*Card code: //p')
$T earn "$CARD" 12.50 >/dev/null
same "the earn is one more visit" "$(figure visits)" "$((VISITS + 1))"
# New sales reload the figures at most every 2 s (more on a big shop).
wait_for "another process's earn shows by itself" "Visits  *$((VISITS + 1)) " 150

refuse "a wrong PIN" "wrong staff name or PIN" env TALLY_PIN=9999 $T customer add --name Tried
wait_for "wrong PINs show on the dashboard by themselves" "1 wrong PIN typed in the period (0 before)" 150

# A long write holds the lock (syncd folding a big batch): the dashboard
# cannot bring its two connections to one snapshot then, and reads all of
# it on one (store_snapshot_begin_pair) - the same figures, and the chart
# (read on the other side) agrees with the headline. The resize makes it
# load while the lock is held.
$T earn "$CARD" 3.00 >/dev/null
VISITS=$(figure visits)
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(4)
c.execute("ROLLBACK")' "$TALLY_DB" "$WORK/locked" &
LOCKER=$!
i=0; while [ ! -e "$WORK/locked" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
TM resize-window -t d -x 100 -y 30
wait_for "with the write lock held, the figures are read on one connection" "Visits  *$VISITS " 30
wait_for "and the chart agrees with them" "Visits per day ($VISITS in all)" 5
wait "$LOCKER"
TM resize-window -t d -x 80 -y 24

keys q
wait_for "q quits" "DASHBOARD-ENDED"

# In Polish, visits per member with a decimal comma, as the report prints it.
FREQ=$(figure purchase_frequency | tr . ,)
TM kill-session -t d
TM new-session -d -s d -x 80 -y 40 "TALLY_DB='$TALLY_DB' TALLY_STAFF=Mira TALLY_PIN=2468 TALLY_LOCALEDIR='${TALLY_LOCALEDIR:-}' $T --lang pl dashboard; sleep 60"
wait_for "the dashboard in Polish" "Najważniejsze"
keys Enter
wait_for "visits per member with the reader's decimal comma" "Wizyty na klienta  *$FREQ "
